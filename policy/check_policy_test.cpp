#include "policy/check_policy.h"

#include <gtest/gtest.h>

#include <sstream>

#include "policy/temp_dir_for_test.h"

namespace usbip::policy {
namespace {

struct CheckResult {
  int status;
  std::string out;
  std::string err;
};

CheckResult check(const std::filesystem::path& dir) {
  std::ostringstream out;
  std::ostringstream err;
  const int status = runCheckPolicy(dir, out, err);
  return {status, out.str(), err.str()};
}

constexpr std::string_view kAllow =
    "[match]\nbusid = \"1-2\"\n[export]\nmode = \"listen\"\nallowed_peers = [\"any\"]\n";

TEST(CheckPolicy, TheShippedExampleIsValid) {
  const auto result = check(USBIP_POLICY_EXAMPLES_DIR);
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "policy OK: " + std::string(USBIP_POLICY_EXAMPLES_DIR) +
                            ": 1 file (1 allow, 0 deny)\n");
  EXPECT_EQ(result.err, "");
}

TEST(CheckPolicy, OneLineSummary) {
  TempDirForTest dir;
  dir.write("a.toml", kAllow);
  dir.write("b.toml", "deny = true\n[match]\nbusid = \"1-3\"\n");
  dir.write("c.toml", "deny = true\n[match]\nbusid = \"1-4\"\n");
  const auto result = check(dir.path());
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, "policy OK: " + dir.path().string() + ": 3 files (1 allow, 2 deny)\n");
  EXPECT_EQ(result.err, "");
}

TEST(CheckPolicy, EmptyDirectory) {
  TempDirForTest dir;
  const auto result = check(dir.path());
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, "policy OK: " + dir.path().string() +
                            ": no policy files; only devices named on the command line can be "
                            "exported\n");
}

TEST(CheckPolicy, PrintsEveryErrorAndFails) {
  TempDirForTest dir;
  const auto a = dir.write("a.toml",
                           "[match]\nbusid = 1\n[export]\nmode = \"listen\"\n"
                           "allowed_peers = [\"any\"]\n");
  const auto b = dir.write("b.toml", std::string(kAllow) + "[guards]\nhid_only = 1\n");
  const auto result = check(dir.path());
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, a.string() + ":2: match.busid: must be a string\n" + b.string() +
                            ":7: guards.hid_only: must be true or false\n" +
                            "check-policy: 2 errors in " + dir.path().string() + "\n");
}

TEST(CheckPolicy, UnreadableDirectory) {
  TempDirForTest dir;
  const auto result = check(dir.path() / "absent");
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, (dir.path() / "absent").string() +
                            ": cannot read the policy directory: No such file or directory\n");
}

}  // namespace
}  // namespace usbip::policy
