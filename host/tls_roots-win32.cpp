// tls_roots.h on Windows: every certificate of the current user's view of
// the "ROOT" system store (the machine's roots plus the user's, as Windows
// itself trusts them) copied into the context's X509_STORE.
#include "tls_roots.h"

#include <windows.h>
#include <wincrypt.h>

#include <openssl/x509.h>
#include <spdlog/spdlog.h>

namespace vidkeep {

void LoadSystemRoots(boost::asio::ssl::context& tls) {
  X509_STORE* store = SSL_CTX_get_cert_store(tls.native_handle());
  HCERTSTORE system = ::CertOpenSystemStoreW(0, L"ROOT");
  if (system == nullptr) {
    spdlog::warn("no system trust store: cannot open the ROOT certificate store (error {})", ::GetLastError());
    return;
  }
  int added = 0;
  PCCERT_CONTEXT cert = nullptr;
  while ((cert = ::CertEnumCertificatesInStore(system, cert)) != nullptr) {
    const unsigned char* der = cert->pbCertEncoded;
    X509* x509 = d2i_X509(nullptr, &der, static_cast<long>(cert->cbCertEncoded));
    if (x509 == nullptr) continue;  // a certificate OpenSSL cannot parse is skipped
    if (X509_STORE_add_cert(store, x509) == 1) ++added;
    X509_free(x509);
  }
  ::CertCloseStore(system, 0);
  if (added == 0) spdlog::warn("no system trust store: the ROOT certificate store is empty");
}

}  // namespace vidkeep
