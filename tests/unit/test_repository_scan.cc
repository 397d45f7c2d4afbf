// The repository listing on a temporary folder tree: which folders are models and versions,
// config reading and its limits, and fingerprints (serving/repository/repository_scan.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "serving/repository/repository_scan.h"

namespace edgeserve::serving {
namespace {

namespace fs = std::filesystem;

class RepositoryScan : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    repo_ = fs::temp_directory_path() /
            ("edge_repo_scan_" + std::to_string(::getpid()) + "_" + std::string(info->name()));
    fs::remove_all(repo_);
    fs::create_directories(repo_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(repo_, ec);
  }

  // Writes `text` to repo_/relative, creating folders on the way.
  void write(const std::string& relative, const std::string& text) {
    const fs::path file = repo_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  }
  void mkdir(const std::string& relative) { fs::create_directories(repo_ / relative); }

  ModelOnDisk scan_one(const std::string& name) {
    Result<ModelOnDisk> m = scan_model(repo_, name);
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    return m.is_ok() ? m.value() : ModelOnDisk();
  }

  fs::path repo_;
};

std::vector<int64_t> versions_of(const ModelOnDisk& m) {
  std::vector<int64_t> v;
  for (const auto& d : m.versions) v.push_back(d.version);
  return v;
}

TEST_F(RepositoryScan, ListsModelsAndSkipsHiddenAndFiles) {
  write("resnet/config.pbtxt", "max_batch_size: 4\n");
  write("resnet/1/model.onnx", "onnx");
  write("alpha/1/model.onnx", "onnx");
  mkdir(".git/objects");
  mkdir(".hidden_model/1");
  write("README.md", "not a model");
  Result<std::vector<ModelOnDisk>> models = scan_repository(repo_);
  ASSERT_TRUE(models.is_ok()) << models.status().message();
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].name, "alpha");  // sorted by name
  EXPECT_FALSE((*models)[0].has_config);
  EXPECT_TRUE((*models)[0].config_text.empty());
  EXPECT_TRUE((*models)[0].config_fingerprint.empty());
  const ModelOnDisk& resnet = (*models)[1];
  EXPECT_EQ(resnet.name, "resnet");
  EXPECT_EQ(resnet.dir, repo_ / "resnet");
  EXPECT_TRUE(resnet.has_config);
  EXPECT_EQ(resnet.config_text, "max_batch_size: 4\n");
  EXPECT_FALSE(resnet.config_fingerprint.empty());
  EXPECT_TRUE(resnet.error.empty()) << resnet.error;
  ASSERT_EQ(resnet.versions.size(), 1u);
  EXPECT_EQ(resnet.versions[0].dir, repo_ / "resnet" / "1");
}

TEST_F(RepositoryScan, OnlyCanonicalNumericFoldersAreVersions) {
  for (const char* dir : {"m/1", "m/10", "m/3", "m/0", "m/abc", "m/1a", "m/007", "m/-2", "m/.5",
                          "m/99999999999999999999", "m/9223372036854775807"}) {
    mkdir(dir);
  }
  write("m/2", "a file, not a folder");
  EXPECT_EQ(versions_of(scan_one("m")), (std::vector<int64_t>{0, 1, 3, 10, 9223372036854775807}));
}

TEST_F(RepositoryScan, FingerprintChangesWhenAFileIsRewritten) {
  write("m/1/model.onnx", "12345");
  const std::string before = scan_one("m").versions.at(0).fingerprint;
  EXPECT_EQ(before.rfind("model.onnx:5:", 0), 0u) << before;
  EXPECT_EQ(scan_one("m").versions.at(0).fingerprint, before);  // stable while nothing changes
  write("m/1/.model.onnx.swp", "editor noise");
  mkdir("m/1/sub");
  EXPECT_EQ(scan_one("m").versions.at(0).fingerprint, before);
  write("m/1/model.onnx", "123456789");
  const std::string after = scan_one("m").versions.at(0).fingerprint;
  EXPECT_NE(after, before);
  EXPECT_EQ(after.rfind("model.onnx:9:", 0), 0u) << after;
  write("m/1/weights.bin", "w");
  EXPECT_NE(scan_one("m").versions.at(0).fingerprint, after);
}

TEST_F(RepositoryScan, ConfigFingerprintSeesSameSizeRewrite) {
  write("m/config.pbtxt", "max_batch_size: 4");
  const std::string before = scan_one("m").config_fingerprint;
  write("m/config.pbtxt", "max_batch_size: 8");
  const ModelOnDisk after = scan_one("m");
  EXPECT_EQ(after.config_text, "max_batch_size: 8");
  EXPECT_NE(after.config_fingerprint, before);
}

TEST_F(RepositoryScan, ConfigAtTheLimitIsReadAndAboveItIsAnError) {
  write("ok/config.pbtxt", std::string(kMaxConfigBytes, '#'));
  const ModelOnDisk ok = scan_one("ok");
  EXPECT_TRUE(ok.error.empty()) << ok.error;
  EXPECT_EQ(ok.config_text.size(), kMaxConfigBytes);
  write("big/config.pbtxt", std::string(kMaxConfigBytes + 1, '#'));
  write("big/1/model.onnx", "onnx");
  Result<std::vector<ModelOnDisk>> models = scan_repository(repo_);
  ASSERT_TRUE(models.is_ok()) << models.status().message();  // one bad model fails no scan
  ASSERT_EQ(models->size(), 2u);
  const ModelOnDisk& big = (*models)[0];
  EXPECT_EQ(big.name, "big");
  EXPECT_TRUE(big.has_config);
  EXPECT_TRUE(big.config_text.empty());
  EXPECT_NE(big.error.find("larger than 1 MiB"), std::string::npos) << big.error;
  EXPECT_NE(big.error.find("config.pbtxt"), std::string::npos) << big.error;
  EXPECT_EQ(big.versions.size(), 1u);
}

TEST_F(RepositoryScan, ConfigThatIsAFolderIsAnError) {
  mkdir("m/config.pbtxt");
  const ModelOnDisk m = scan_one("m");
  EXPECT_TRUE(m.has_config);
  EXPECT_NE(m.error.find("not a regular file"), std::string::npos) << m.error;
}

TEST_F(RepositoryScan, ScanModelErrors) {
  Result<ModelOnDisk> missing = scan_model(repo_, "nope");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find((repo_ / "nope").string()), std::string::npos)
      << missing.status().message();
  mkdir("inside");
  for (const char* name : {"../" , "..", ".", "", "a/b", ".hidden"}) {
    EXPECT_FALSE(scan_model(repo_ / "inside", name).is_ok()) << name;
  }
  write("file_model", "x");
  EXPECT_EQ(scan_model(repo_, "file_model").status().code(), StatusCode::kNotFound);
}

TEST_F(RepositoryScan, RepositoryMissingOrNotAFolder) {
  Result<std::vector<ModelOnDisk>> missing = scan_repository(repo_ / "absent");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find((repo_ / "absent").string()), std::string::npos);
  write("plain_file", "x");
  EXPECT_FALSE(scan_repository(repo_ / "plain_file").is_ok());
  Result<std::vector<ModelOnDisk>> empty = scan_repository(repo_);
  ASSERT_TRUE(empty.is_ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace edgeserve::serving
