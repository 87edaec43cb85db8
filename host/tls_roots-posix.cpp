// tls_roots.h on Linux: OpenSSL's default verify paths.
#include "tls_roots.h"

#include <spdlog/spdlog.h>

namespace vidkeep {

void LoadSystemRoots(boost::asio::ssl::context& tls) {
  boost::system::error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec) spdlog::warn("no system trust store: {}", ec.message());
}

}  // namespace vidkeep
