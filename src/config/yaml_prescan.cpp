#include "yaml_prescan.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstddef>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace dprouter {

namespace {

SourcePos pos_of(const YAML::Mark& m) {
    if (m.line < 0 || m.column < 0) return SourcePos{1, 1};
    return SourcePos{m.line + 1, m.column + 1};
}

// Thrown out of the event handler to stop yaml-cpp at the first alias over the limits.
struct AliasLimit {
    PrescanProblem problem;
};

// Counts nodes as a tree walk would see them: an alias counts as the whole node it names.
class Counter : public YAML::EventHandler {
public:
    struct Document {
        YAML::Mark start;       // where yaml-cpp began the document (its first token)
        YAML::Mark first_node;  // the root node
        bool has_node = false;
    };
    std::vector<Document> documents;

    void OnDocumentStart(const YAML::Mark& mark) override {
        documents.push_back(Document{mark, mark, false});
        anchor_size_.clear();  // anchors are per document
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
        leaf(mark, anchor);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        note_node(mark);
        ++alias_uses_;
        const auto it = anchor_size_.find(anchor);
        const std::size_t size = it == anchor_size_.end() ? 1 : it->second;
        total_ += size;
        alias_added_ += size;
        if (alias_uses_ > config_limits::max_alias_uses)
            throw AliasLimit{{pos_of(mark), "more than " + std::to_string(config_limits::max_alias_uses) +
                                                " aliases (*name)"}};
        if (alias_added_ > config_limits::max_alias_nodes + written_)
            throw AliasLimit{{pos_of(mark), "aliases expand the document by more than " +
                                                std::to_string(config_limits::max_alias_nodes) +
                                                " nodes beyond those written"}};
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor);
    }
    void OnMapEnd() override { close(); }

private:
    struct Open {
        std::size_t total_at_start;
        YAML::anchor_t anchor;
    };

    void note_node(const YAML::Mark& mark) {
        Document& d = documents.back();
        if (!d.has_node) {
            d.first_node = mark;
            d.has_node = true;
        }
    }
    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
        note_node(mark);
        ++written_;
        ++total_;
        if (anchor != YAML::NullAnchor) anchor_size_[anchor] = 1;
    }
    void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
        note_node(mark);
        ++written_;
        stack_.push_back(Open{total_, anchor});
        ++total_;
    }
    void close() {
        const Open o = stack_.back();
        stack_.pop_back();
        if (o.anchor != YAML::NullAnchor) anchor_size_[o.anchor] = total_ - o.total_at_start;
    }

    std::vector<Open> stack_;
    std::unordered_map<YAML::anchor_t, std::size_t> anchor_size_;
    std::size_t written_ = 0;      // nodes in the text
    std::size_t total_ = 0;        // nodes a walk of the tree visits
    std::size_t alias_added_ = 0;  // the difference
    std::size_t alias_uses_ = 0;
};

bool same_place(const YAML::Mark& a, const YAML::Mark& b) { return a.pos == b.pos; }

// The character at `pos`, for the message (the tokens yaml-cpp gets stuck on are one character:
// ',', ']', '}', '?').
std::string token_at(const std::string& text, int pos) {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text.size()) return "end of input";
    return std::string("'") + text[static_cast<std::size_t>(pos)] + "'";
}

}  // namespace

std::optional<PrescanProblem> prescan_yaml(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    Counter counter;
    try {
        // Three documents are enough to see both a stuck token right at the start ("," gives two
        // empty documents at one place) and one after a first document ("--- ,").
        for (int i = 0; i < 3 && parser.HandleNextDocument(counter); ++i) {
        }
    } catch (const AliasLimit& limit) {
        return limit.problem;
    }
    const auto& docs = counter.documents;
    for (std::size_t i = 1; i < docs.size(); ++i) {
        if (same_place(docs[i].start, docs[i - 1].start))
            return PrescanProblem{pos_of(docs[i].start), "unexpected " + token_at(text, docs[i].start.pos) +
                                                             " (not valid YAML here)"};
    }
    if (docs.size() > 1)
        return PrescanProblem{pos_of(docs[1].has_node ? docs[1].first_node : docs[1].start),
                              "only one YAML document is allowed"};
    return std::nullopt;
}

}  // namespace dprouter
