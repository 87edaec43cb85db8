#include "session.h"

#include <nlohmann/json.hpp>

namespace vidkeep {

namespace {

// A label or id is shown in reasons and the popup: keep it printable and short.
std::string Printable(std::string text) {
  if (text.size() > 200) text.resize(200);
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return text;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return {};
}

}  // namespace

AccountCheck ParseSessionAnswer(const HttpResponse& r) {
  AccountCheck out;
  if (r.status == 0) {
    out.why = r.error.empty() ? "no answer" : r.error;
    return out;
  }
  if (r.status < 200 || r.status >= 300) {
    out.why = "the session endpoint answered HTTP " + std::to_string(r.status);
    return out;
  }
  auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    out.why = "the session endpoint's answer is not JSON";
    return out;
  }
  if (body.is_null() || (body.is_object() && body.empty())) {
    out.checked = true;  // signed out
    return out;
  }
  if (!body.is_object()) {
    out.why = "the session endpoint's answer is not a session";
    return out;
  }
  auto user = body.find("user");
  if (user == body.end() || user->is_null()) {
    out.checked = true;  // a session object without a person: nobody
    return out;
  }
  if (!user->is_object() || StringField(*user, "id").empty()) {
    // A person without an id cannot be told apart from another one.
    out.why = "the session names no user id";
    return out;
  }
  Account account;
  account.id = Printable(StringField(*user, "id"));
  for (const char* key : {"email", "name", "type"}) {
    account.label = Printable(StringField(*user, key));
    if (!account.label.empty()) break;
  }
  out.checked = true;
  out.account = std::move(account);
  return out;
}

void AddCredentials(HttpRequest& request, const ServerAuth& auth) {
  if (!auth.cookie.empty()) request.headers.emplace_back("Cookie", auth.cookie);
  if (!auth.bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + auth.bearer);
}

boost::asio::awaitable<AccountCheck> LookUpAccount(HttpClient& http, const std::string& origin,
                                                   const ServerAuth& auth, const SyncConfig& config) {
  if (config.session_path.empty()) co_return AccountCheck{false, std::nullopt, "the session lookup is off"};
  HttpRequest request;
  request.origin = origin;
  request.method = "GET";
  request.target = config.session_path;
  request.headers.emplace_back("Accept", "application/json");
  AddCredentials(request, auth);
  request.deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(std::max(config.request_timeout_ms, 1));
  HttpResponse response = co_await http.Send(std::move(request));
  co_return ParseSessionAnswer(response);
}

std::string Describe(const Account& account) {
  return account.label.empty() ? "user " + account.id
                               : account.label + " (user " + account.id + ")";
}

std::string DescribeVideoAccount(const std::string& id, const std::string& label) {
  return Describe(Account{id, label});
}

}  // namespace vidkeep
