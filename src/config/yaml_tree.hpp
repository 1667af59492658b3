// YAML text -> a compact tree for the config parser, in one pass over yaml-cpp's events.
//
// yaml-cpp's own tree (YAML::Load) costs about 2.3 GB and ten seconds for a million routes, and
// its YAML::LoadAll loops forever on some inputs (issue 1040: a file holding only ","). Here
// yaml-cpp's event parser runs over at most three documents (each pass over a document is
// linear in its length), the first one is kept as a tree of plain nodes, and the first of these
// problems is reported instead:
//  - a token yaml-cpp cannot get past: it then returns the same empty document again and again
//    without consuming anything;
//  - a second document (a config file is one document);
//  - more than config_limits::max_alias_uses aliases, or aliases that add more than
//    config_limits::max_alias_nodes nodes beyond those written (an alias "bomb": a few kilobytes
//    that expand to millions of nodes for whoever walks the tree).
// Syntax errors propagate as the YAML::ParserException yaml-cpp throws.
#pragma once

#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "dprouter/config.hpp"

namespace dprouter {

// yaml-cpp marks are 0-based; editors and compilers count from 1.
inline SourcePos source_pos(const YAML::Mark& m) {
    if (m.line < 0 || m.column < 0) return SourcePos{1, 1};
    return SourcePos{m.line + 1, m.column + 1};
}

namespace yaml {

enum class Kind : uint8_t { null, scalar, sequence, map };

struct TreeNode {
    Kind kind = Kind::null;
    bool text = false;  // quoted or tagged !!str: a string even when it looks like a number
    YAML::Mark mark;
    std::string scalar;
    std::vector<const TreeNode*> children;  // a map's keys and values alternate
};

struct Item;

// A read-only view of a node, with the names of the YAML::Node members the config parser uses.
class Node {
public:
    Node() = default;
    explicit Node(const TreeNode* n) : n_(n) {}
    bool IsNull() const { return n_ == nullptr || n_->kind == Kind::null; }
    bool IsScalar() const { return n_ != nullptr && n_->kind == Kind::scalar; }
    bool IsSequence() const { return n_ != nullptr && n_->kind == Kind::sequence; }
    bool IsMap() const { return n_ != nullptr && n_->kind == Kind::map; }
    bool IsText() const { return n_ != nullptr && n_->text; }
    const std::string& Scalar() const;
    YAML::Mark Mark() const { return n_ ? n_->mark : YAML::Mark::null_mark(); }
    std::size_t size() const;

    class iterator;
    iterator begin() const;
    iterator end() const;

private:
    const TreeNode* n_ = nullptr;
};

// What iterating yields: the element of a sequence, or the key (first) and value (second) of a map.
struct Item : Node {
    Node first;
    Node second;
};

class Node::iterator {
public:
    iterator(const TreeNode* parent, std::size_t i) : parent_(parent), i_(i) {}
    Item operator*() const;
    iterator& operator++() {
        i_ += parent_ != nullptr && parent_->kind == Kind::map ? 2 : 1;
        return *this;
    }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }

private:
    const TreeNode* parent_;
    std::size_t i_;
};

// YAML 1.1 booleans as yaml-cpp reads them (true/yes/on/y and false/no/off/n, in three cases).
std::optional<bool> parse_bool(const std::string& s);

struct Document {
    std::optional<std::pair<SourcePos, std::string>> problem;  // set: the file is refused
    std::deque<TreeNode> nodes;
    Node root;  // the first document's root; null when there is none
};

Document load(const std::string& text);

}  // namespace yaml
}  // namespace dprouter
