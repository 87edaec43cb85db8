// Who a chat app's credentials belong to (docs/protocol-extensions.md
// "`configure` answers the account"): the host asks the app's session
// endpoint before it uses a cookie or token, so a video is never written into
// a chat by somebody else than the person who made it.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "config.h"
#include "http_client.h"
#include "protocol.h"

namespace vidkeep {

/// Reads the session endpoint's answer: `{"user": {"id", …}, "expires"}` is
/// an account, `null` or `{}` no session, anything else unknown.
AccountCheck ParseSessionAnswer(const HttpResponse& response);

/// Adds the Cookie / Authorization headers of `auth` to `request`: the one
/// place credentials become headers (the save-message send and the session
/// lookup). Never log the request's headers.
void AddCredentials(HttpRequest& request, const ServerAuth& auth);

/// GETs `{origin}{config.session_path}` with `auth` (no redirect followed,
/// bounded by the sync request timeout). Never throws; the credentials reach
/// neither a log nor the result.
boost::asio::awaitable<AccountCheck> LookUpAccount(HttpClient& http, const std::string& origin,
                                                   const ServerAuth& auth, const SyncConfig& config);

/// "demo@example.com (user 1234)", or "user 1234" without a label.
std::string Describe(const Account& account);
/// Who a video was made by, from its account fields, in Describe's words.
std::string DescribeVideoAccount(const std::string& id, const std::string& label);

}  // namespace vidkeep
