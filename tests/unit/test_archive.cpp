#include <doctest/doctest.h>

#include <algorithm>

#include "archive/zip_reader.hpp"
#include "archive/zip_writer.hpp"
#include "process.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace portico;

TEST_CASE("archive: entries written are read back, sorted by name") {
  test::TempDir t;
  test::write_file(t.path + "/big.txt", std::string(300000, 'x'));
  archive::write_zip(t.path + "/a.zip", {{"p/z.txt", {}, "last"},
                                         {"p/a.txt", {}, "first"},
                                         {"p/big.txt", t.path + "/big.txt", ""}});
  auto entries = archive::read_zip(file::read(t.path + "/a.zip"));
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].name == "p/a.txt");
  CHECK(entries[0].data == "first");
  CHECK(entries[1].name == "p/big.txt");
  CHECK(entries[1].data.size() == 300000);
  CHECK(entries[2].name == "p/z.txt");
}

TEST_CASE("archive: the same inputs give byte-identical zips") {
  test::TempDir t;
  std::vector<archive::ZipInput> in{{"r/b", {}, "bee"}, {"r/a", {}, "ay"}};
  archive::write_zip(t.path + "/1.zip", in);
  std::reverse(in.begin(), in.end());
  archive::write_zip(t.path + "/2.zip", in);
  CHECK(file::read(t.path + "/1.zip") == file::read(t.path + "/2.zip"));
}

TEST_CASE("archive: bytes that are not a zip, and a zip past the limits, are input errors") {
  CHECK_THROWS_AS(archive::read_zip("this is not a zip"), Error);
  CHECK_THROWS_AS(archive::read_zip(""), Error);
  test::TempDir t;
  archive::write_zip(t.path + "/z.zip", {{"a", {}, std::string(100000, '0')}});
  archive::ZipLimits small;
  small.max_entry_bytes = 1000;  // the entry inflates to 100 KB
  CHECK_THROWS_AS(archive::read_zip(file::read(t.path + "/z.zip"), small), Error);
  archive::ZipLimits few;
  few.max_entries = 0;
  CHECK_THROWS_AS(archive::read_zip(file::read(t.path + "/z.zip"), few), Error);
}
