#include "dedupe.h"

#include <catch2/catch.hpp>

using namespace vidkeep;

TEST_CASE("canonical URLs") {
  const SigningParams signing({"sessionKey", "tmp_*"});
  struct Row {
    const char* in;
    const char* out;
  };
  const Row rows[] = {
      // scheme and host case, default ports, fragment, empty path
      {"https://cdn.example/v/1.mp4", "https://cdn.example/v/1.mp4"},
      {"HTTPS://CDN.Example/v/1.mp4", "https://cdn.example/v/1.mp4"},
      {"https://cdn.example:443/v/1.mp4", "https://cdn.example/v/1.mp4"},
      {"http://cdn.example:80/v/1.mp4", "http://cdn.example/v/1.mp4"},
      {"https://cdn.example:8443/v/1.mp4", "https://cdn.example:8443/v/1.mp4"},
      {"http://cdn.example:443/v", "http://cdn.example:443/v"},
      {"https://cdn.example/v/1.mp4#t=10", "https://cdn.example/v/1.mp4"},
      {"https://cdn.example", "https://cdn.example/"},
      {"https://cdn.example:/x", "https://cdn.example/x"},
      // path case is significant
      {"https://cdn.example/V/One.MP4", "https://cdn.example/V/One.MP4"},
      // S3
      {"https://b.s3.amazonaws.com/v.mp4?X-Amz-Algorithm=AWS4&X-Amz-Credential=a&X-Amz-Date=1&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=ff",
       "https://b.s3.amazonaws.com/v.mp4"},
      {"https://b.s3.amazonaws.com/v.mp4?x-amz-signature=ff&versionId=3", "https://b.s3.amazonaws.com/v.mp4?versionId=3"},
      {"https://b.s3.amazonaws.com/v.mp4?X-Amz-Security-Token=t", "https://b.s3.amazonaws.com/v.mp4"},
      // GCS
      {"https://storage.googleapis.com/b/v.mp4?X-Goog-Algorithm=a&X-Goog-Signature=s&X-Goog-Expires=9", "https://storage.googleapis.com/b/v.mp4"},
      {"https://storage.googleapis.com/b/v.mp4?GoogleAccessId=x&Expires=1&Signature=s", "https://storage.googleapis.com/b/v.mp4"},
      // Azure SAS
      {"https://a.blob.core.windows.net/c/v.mp4?sv=2022&ss=b&srt=o&sp=r&st=1&se=2&sr=b&sip=1.2.3.4&spr=https&sig=abc", "https://a.blob.core.windows.net/c/v.mp4"},
      {"https://a.blob.core.windows.net/c/v.mp4?SV=1&SIG=2&comp=x", "https://a.blob.core.windows.net/c/v.mp4?comp=x"},
      // CloudFront
      {"https://d1.cloudfront.net/v.mp4?Policy=p&Key-Pair-Id=k&Signature=s", "https://d1.cloudfront.net/v.mp4"},
      {"https://d1.cloudfront.net/v.mp4?Expires=1&Signature=s&Key-Pair-Id=k", "https://d1.cloudfront.net/v.mp4"},
      // generic token, case-insensitive
      {"https://cdn.example/v.mp4?token=abc", "https://cdn.example/v.mp4"},
      {"https://cdn.example/v.mp4?TOKEN=abc&id=1", "https://cdn.example/v.mp4?id=1"},
      // remaining parameters sorted (by name, then value)
      {"https://cdn.example/v.mp4?b=2&a=1", "https://cdn.example/v.mp4?a=1&b=2"},
      {"https://cdn.example/v.mp4?a=2&a=1", "https://cdn.example/v.mp4?a=1&a=2"},
      {"https://cdn.example/v.mp4?z&a=1", "https://cdn.example/v.mp4?a=1&z"},
      {"https://cdn.example/v.mp4?", "https://cdn.example/v.mp4"},
      {"https://cdn.example/v.mp4?a=1&sig=x#frag", "https://cdn.example/v.mp4?a=1"},
      // names that merely contain a signing name are kept
      {"https://cdn.example/v.mp4?tokenizer=1&mysig=2", "https://cdn.example/v.mp4?mysig=2&tokenizer=1"},
      // percent-encoded names are decoded before matching
      {"https://cdn.example/v.mp4?%74oken=1&b=2", "https://cdn.example/v.mp4?b=2"},
      // configured extras: exact and prefix
      {"https://cdn.example/v.mp4?sessionkey=1&tmp_a=2&tmp=3", "https://cdn.example/v.mp4?tmp=3"},
      // IPv6 and loopback hosts
      {"http://[::1]:8080/v.mp4", "http://[::1]:8080/v.mp4"},
      {"http://127.0.0.1:80/v.mp4?Expires=5", "http://127.0.0.1/v.mp4"},
      // non-ASCII path stays as encoded
      {"https://cdn.example/%D0%BA%D0%BE%D1%82.mp4", "https://cdn.example/%D0%BA%D0%BE%D1%82.mp4"},
  };
  for (const auto& row : rows) {
    INFO(row.in);
    REQUIRE(ValidateMediaUrl(row.in, 8192).ok());
    auto canonical = CanonicalUrl(row.in, signing);
    REQUIRE(canonical.ok());
    CHECK(*canonical == row.out);
  }
  CHECK(std::size(rows) >= 30);
}

TEST_CASE("URL validation") {
  const char* bad[] = {"", "javascript:alert(1)", "data:video/mp4;base64,AAAA", "file:///etc/passwd",
                       "ftp://cdn.example/v.mp4", "https://", "https:///path", "//cdn.example/v.mp4",
                       "https://user:pass@cdn.example/v.mp4", "https://cdn.example/a b.mp4",
                       "https://cdn.example/\x01.mp4", "cdn.example/v.mp4", "https://cdn.example/\n",
                       "https://cdn.example:99999/v.mp4", "https://cdn.example:0/v.mp4"};
  for (const char* url : bad) {
    INFO(url);
    Status s = ValidateMediaUrl(url, 8192);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == ErrorCode::kInvalidUrl);
  }
  CHECK(ValidateMediaUrl("https://cdn.example/" + std::string(9000, 'a'), 8192).code() ==
        ErrorCode::kInvalidUrl);
  CHECK(ValidateMediaUrl("HTTP://cdn.example/v.mp4", 8192).ok());
}

TEST_CASE("UUIDv5 matches RFC 4122 and other implementations") {
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com/")
  CHECK(UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://example.com/") ==
        "dd2c1780-811a-5296-81c5-178a0ef488bc");
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  CHECK(UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  // Names of more than one SHA-1 block, with UTF-8 and a newline, as video
  // ids are: Python's uuid5 hashes the same UTF-8 bytes.
  CHECK(UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8",
               "chat-1\nhttps://cdn.example/\xc3\xa9\xc3\xa8/v.mp4?" + std::string(100, 'a')) ==
        "453f319f-c4e4-5d0b-81cd-60c3ce3f19e8");
  CHECK(UuidV5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "\n") == "6b9822e5-560c-5dd6-8c22-6fc5fb837c47");
}

TEST_CASE("video ids depend on chat and canonical URL only") {
  const std::string a = VideoIdFor("chat-1", "https://cdn.example/v.mp4");
  CHECK(a == VideoIdFor("chat-1", "https://cdn.example/v.mp4"));
  CHECK(a != VideoIdFor("chat-2", "https://cdn.example/v.mp4"));
  CHECK(a != VideoIdFor("", "https://cdn.example/v.mp4"));
  CHECK(a.size() == 36);
  CHECK(a[14] == '5');
}

TEST_CASE("origins") {
  CHECK(OriginOf("https://Chat.Example/chat/1?x#y") == "https://chat.example");
  CHECK(OriginOf("https://chat.example:443/") == "https://chat.example");
  CHECK(OriginOf("http://127.0.0.1:3000/chat/1") == "http://127.0.0.1:3000");
  CHECK(OriginOf("file:///x").empty());
  CHECK(OriginOf("not a url").empty());
  CHECK(IsAllowedSyncOrigin("https://chat.example"));
  CHECK(IsAllowedSyncOrigin("http://127.0.0.1:3000"));
  CHECK(IsAllowedSyncOrigin("http://127.8.9.10"));
  CHECK(IsAllowedSyncOrigin("http://[::1]:3000"));
  CHECK(IsAllowedSyncOrigin("http://localhost:3000"));
  CHECK_FALSE(IsAllowedSyncOrigin("http://chat.example"));
  CHECK_FALSE(IsAllowedSyncOrigin("http://127.0.0.1.evil.example"));
  CHECK_FALSE(IsAllowedSyncOrigin("http://10.0.0.1"));
  CHECK_FALSE(IsAllowedSyncOrigin("ftp://chat.example"));
}

TEST_CASE("regression: Boost.URL 1.81 reads 127.0.0.1.evil.example as 127.0.0.1") {
  CHECK(ValidateMediaUrl("http://127.0.0.1.evil.example/v.mp4", 8192).code() == ErrorCode::kInvalidUrl);
  CHECK(OriginOf("http://127.0.0.1.evil.example/chat/1").empty());
  CHECK_FALSE(IsLoopbackHost("127.0.0.1.evil.example"));
  CHECK(IsLoopbackHost("127.0.0.1"));
  CHECK(IsLoopbackHost("[::1]"));
  CHECK(IsLoopbackHost("LOCALHOST"));
  CHECK_FALSE(IsLoopbackHost("localhost.evil.example"));
  CHECK_FALSE(IsLoopbackHost("10.0.0.1"));
}

TEST_CASE("regression: an empty query before a fragment read past the URL (Boost.URL 1.81, fuzz)") {
  // "?#x" made Boost.URL's params iterator run off the end: the canonical URL
  // (and so the video id) held heap bytes, and ASan saw a SEGV.
  const SigningParams signing;
  for (const char* url : {"https://h/v.mp4?#x", "https://h/v.mp4?#", "https://h?#", "http://127.Em?#S1/"}) {
    INFO(url);
    REQUIRE(ValidateMediaUrl(url, 8192).ok());
    auto canonical = CanonicalUrl(url, signing);
    REQUIRE(canonical.ok());
    CHECK(canonical->find('?') == std::string::npos);
    CHECK(canonical->find('#') == std::string::npos);
  }
  CHECK(*CanonicalUrl("https://h/v.mp4?#x", signing) == "https://h/v.mp4");
  CHECK(*CanonicalUrl("https://h/v.mp4?#x", signing) == *CanonicalUrl("https://h/v.mp4?", signing));
}

TEST_CASE("LooksLikeVideo: a video content type or a video path extension, never the query") {
  CHECK(LooksLikeVideo("https://cdn.example/a/b.MP4?X-Amz-Signature=x", ""));
  CHECK(LooksLikeVideo("https://cdn.example/b.webm", ""));
  CHECK(LooksLikeVideo("https://cdn.example/b.mkv#t=1", ""));
  CHECK(LooksLikeVideo("https://cdn.example/blob/123", "Video/MP4"));
  CHECK_FALSE(LooksLikeVideo("https://cdn.example/b.png?f=x.mp4", ""));
  CHECK_FALSE(LooksLikeVideo("https://cdn.example/notes.md", "text/markdown"));
  CHECK_FALSE(LooksLikeVideo("https://cdn.example/b.mp4x", "image/png"));
  CHECK_FALSE(LooksLikeVideo("not a url.mp4", ""));
}
