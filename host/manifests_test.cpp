// The manifests `vidkeep install --user` writes are install.sh's: the same
// templates (manifests/*.json.in), the same ids.
#include "manifests.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "caller.h"

using namespace vidkeep;

TEST_CASE("manifests: the development ids unless no_dev_id, then each id by its family, once") {
  auto ids = CollectExtensionIds({"abcdefghijklmnopabcdefghijklmnop", "chrome-extension://abcdefghijklmnopabcdefghijklmnop/",
                                  "me@example.org", "{12345678-1234-1234-1234-123456789abc}"},
                                 false);
  REQUIRE(ids.ok());
  CHECK(ids->chromium_origins == std::vector<std::string>{kDevChromiumCaller,
                                                          "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"});
  CHECK(ids->gecko_ids ==
        std::vector<std::string>{kDevFirefoxCaller, "me@example.org", "{12345678-1234-1234-1234-123456789abc}"});
  auto bare = CollectExtensionIds({}, true);
  REQUIRE(bare.ok());
  CHECK(bare->chromium_origins.empty());
  CHECK(bare->gecko_ids.empty());
  CHECK_FALSE(CollectExtensionIds({"not an id"}, false).ok());
  CHECK_FALSE(CollectExtensionIds({"chrome-extension://ABC/"}, false).ok());
}

TEST_CASE("manifests: rendered from the templates, with a Windows path escaped") {
  auto ids = CollectExtensionIds({}, false).value();
  const std::string path = "C:\\Users\\me\\AppData\\Local\\Programs\\vidkeep\\vidkeep-host.exe";
  const auto chromium = nlohmann::json::parse(RenderManifest(BrowserFamily::kChromium, path, ids));
  CHECK(chromium["name"] == "org.vidkeep.host");
  CHECK(chromium["type"] == "stdio");
  CHECK(chromium["path"] == path);
  CHECK(chromium["allowed_origins"] == nlohmann::json::array({kDevChromiumCaller}));
  CHECK_FALSE(chromium.contains("allowed_extensions"));
  const auto firefox = nlohmann::json::parse(RenderManifest(BrowserFamily::kFirefox, "/usr/bin/vidkeep-host", ids));
  CHECK(firefox["path"] == "/usr/bin/vidkeep-host");
  CHECK(firefox["allowed_extensions"] == nlohmann::json::array({kDevFirefoxCaller}));
}
