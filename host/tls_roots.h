// The system's trusted root certificates for TLS clients, one way per
// platform: tls_roots-posix.cpp (OpenSSL's default paths, the distribution's
// /etc/ssl/certs) or tls_roots-win32.cpp (the Windows "ROOT" store, which
// OpenSSL does not read by itself).
#pragma once

#include <boost/asio/ssl/context.hpp>

namespace vidkeep {

/// Adds the system's roots to `tls`; logs a warning when there are none.
void LoadSystemRoots(boost::asio::ssl::context& tls);

}  // namespace vidkeep
