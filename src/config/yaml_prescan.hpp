// A pass over the YAML events before yaml-cpp builds a tree, to refuse what it cannot handle.
#pragma once

#include <optional>
#include <string>

#include "dprouter/config.hpp"

namespace dprouter {

struct PrescanProblem {
    SourcePos pos;
    std::string message;
};

// Runs yaml-cpp's event parser over at most three documents (each pass over a document is
// linear in its length) and reports the first of:
//  - a token yaml-cpp cannot get past: it then returns the same empty document again and again
//    without consuming anything, which is how YAML::LoadAll loops forever on "," (yaml-cpp
//    issue 1040, unfixed in 0.7.0 as Debian 12 ships it);
//  - a second document (a config file is one document);
//  - more than config_limits::max_alias_uses aliases, or aliases that add more than
//    config_limits::max_alias_nodes nodes beyond those written (an alias "bomb": a few kilobytes
//    that expand to millions of nodes for whoever walks the tree).
// Syntax errors propagate as the YAML::ParserException yaml-cpp throws.
std::optional<PrescanProblem> prescan_yaml(const std::string& text);

}  // namespace dprouter
