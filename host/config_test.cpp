#include "config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include <catch2/catch.hpp>

#include "caller.h"

using namespace vidkeep;

TEST_CASE("config keys are applied and checked") {
  Config c;
  REQUIRE(c.Apply(R"({"limits":{"max_frame_bytes":2048},"sync":{"enabled":false},"log":{"level":"debug"}})", "t").ok());
  CHECK(c.limits.max_frame_bytes == 2048);
  CHECK_FALSE(c.sync.enabled);
  CHECK(c.log.level == "debug");

  struct Bad {
    const char* json;
    const char* key;
  };
  const Bad bad[] = {{R"({"limits":{"max_frame_bytes":"big"}})", "limits.max_frame_bytes"},
                     {R"({"limits":{"max_frame_bytes":1}})", "limits.max_frame_bytes"},
                     {R"({"no_dev_id":"yes"})", "no_dev_id"},
                     {R"({"allowed_callers":[1]})", "allowed_callers"},
                     {R"({"database":{"synchronous":"sometimes"}})", "database.synchronous"},
                     {R"({"log":{"level":"loud"}})", "log.level"},
                     {R"({"sync":{"max_in_flight":0}})", "sync.max_in_flight"},
                     {R"({"sync":{"chat_id_pattern":"[0-9"}})", "sync.chat_id_pattern"},
                     {R"({"sync":{"chat_id_pattern":7}})", "sync.chat_id_pattern"},
                     {R"({"sync":{"app_save_grace_ms":-1}})", "sync.app_save_grace_ms"},
                     {R"({"sync":{"app_save_wait_ms":"1m"}})", "sync.app_save_wait_ms"}};
  for (const auto& b : bad) {
    INFO(b.json);
    Config fresh;
    Status s = fresh.Apply(b.json, "/etc/vidkeep/config.json");
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(b.key) != std::string::npos);
    CHECK(s.message().find("/etc/vidkeep/config.json") != std::string::npos);
  }
  Config c2;
  CHECK_FALSE(c2.Apply("{nope", "x").ok());
  CHECK_FALSE(c2.Apply("[]", "x").ok());
}

TEST_CASE("unknown keys are warnings, not errors") {
  Config c;
  REQUIRE(c.Apply(R"({"limits":{"max_frame_bytez":1},"colour":"red"})", "f").ok());
  REQUIRE(c.warnings.size() == 2);
  CHECK(std::any_of(c.warnings.begin(), c.warnings.end(), [](const std::string& w) {
    return w.find("'limits.max_frame_bytez'") != std::string::npos;
  }));
}

TEST_CASE("the user's config overrides the admin's key by key") {
  const std::string sys = "vidkeep_test_sys.json", user = "vidkeep_test_user.json";
  std::ofstream(sys) << R"({"limits":{"max_frame_bytes":4096,"max_url_bytes":1000},"no_dev_id":true})";
  std::ofstream(user) << R"({"limits":{"max_url_bytes":2000}})";
  auto c = Config::Load(sys, user);
  REQUIRE(c.ok());
  CHECK(c->limits.max_frame_bytes == 4096);
  CHECK(c->limits.max_url_bytes == 2000);
  CHECK(c->no_dev_id);
  auto missing = Config::Load("does-not-exist.json", user);
  CHECK(missing.ok());
  std::remove(sys.c_str());
  std::remove(user.c_str());
}

TEST_CASE("callers") {
  Config c;
  CHECK(CallerFromArgs({"host", "chrome-extension://abc/", "--parent-window=0"}) == "chrome-extension://abc/");
  CHECK(CallerFromArgs({"host", "/path/org.vidkeep.host.json", "vidkeep@vidkeep.org"}) == "vidkeep@vidkeep.org");
  CHECK(CallerFromArgs({"host"}).empty());
  CHECK(IsCallerAllowed(kDevChromiumCaller, c));
  CHECK(IsCallerAllowed(kDevFirefoxCaller, c));
  CHECK_FALSE(IsCallerAllowed("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", c));
  CHECK_FALSE(IsCallerAllowed("", c));
  c.allowed_callers = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "other@example.org"};
  CHECK(IsCallerAllowed("chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", c));
  CHECK(IsCallerAllowed("other@example.org", c));
  c.no_dev_id = true;
  CHECK_FALSE(IsCallerAllowed(kDevChromiumCaller, c));
  CHECK_FALSE(IsCallerAllowed(kDevFirefoxCaller, c));
}

TEST_CASE("the real chat app's sync keys: defaults, overrides, no unknown-key warnings") {
  Config c;
  CHECK(c.sync.chat_id_pattern == SyncConfig::kUuidPattern);
  CHECK(c.sync.app_save_grace_ms == 15000);
  CHECK(c.sync.app_save_wait_ms == 60000);
  REQUIRE(c.Apply(R"({"sync":{"chat_id_pattern":"","app_save_grace_ms":0,"app_save_wait_ms":500}})", "t").ok());
  CHECK(c.sync.chat_id_pattern.empty());
  CHECK(c.sync.app_save_grace_ms == 0);
  CHECK(c.sync.app_save_wait_ms == 500);
  CHECK(c.warnings.empty());
}
