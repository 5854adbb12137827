// SPDX-License-Identifier: Apache-2.0
// The manifest builder.
#include <accord/kit/manifest.hpp>

#include <gtest/gtest.h>

namespace json = boost::json;
namespace kit = accord::kit;

TEST(KitManifest, BuildsTheDocumentedShape) {
  kit::Manifest m = kit::ManifestBuilder("memo", "Memo", "1.0.0", "Notes.")
                        .custom_streams()
                        .stream(kit::StreamInfo("note", "note").with_fields({"/title", "/body"}))
                        .stream(kit::StreamInfo("message", "jmap-email")
                                    .with_lazy({"/raw"}, "/size")
                                    .with_identity({"/messageId"})
                                    .with_fields({"/subject"}))
                        .store_identity({"path"})
                        .config_schema(R"({"type": "object", "properties": {"path": {"type": "string", "default": "x"}}})")
                        .set("extra", 1)
                        .build();
  json::value v = json::parse(m.c_str());
  EXPECT_EQ(v.at("id"), "memo");
  EXPECT_EQ(v.at("custom_streams"), true);
  EXPECT_EQ(v.at("streams").at(0), json::parse(R"({"name":"note","canonical":"note","fields":["/title","/body"]})"));
  EXPECT_EQ(v.at("streams").at(1).at("lazy_size"), "/size");
  EXPECT_EQ(v.at("streams").at(1).at("identity").at(0), "/messageId");
  EXPECT_EQ(v.at("store_identity").at(0), "path");
  EXPECT_EQ(v.at("extra"), 1);
  EXPECT_EQ(m.config("{}").str("/path"), "x");
  EXPECT_THROW(kit::ManifestBuilder("a", "b", "c", "d").config_schema("[1]"), std::invalid_argument);
}
