#include "yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <unordered_map>

namespace dprouter::yaml {

namespace {

const std::string kEmpty;

// Thrown out of the event handler to stop yaml-cpp at the first alias over the limits.
struct AliasLimit {
    SourcePos pos;
    std::string message;
};

// Builds the first document's tree and counts nodes as a tree walk would see them: an alias
// counts as the whole node it names.
class Builder : public YAML::EventHandler {
public:
    explicit Builder(std::deque<TreeNode>& nodes) : nodes_(nodes) {}

    struct DocumentSeen {
        YAML::Mark start;       // where yaml-cpp began the document (its first token)
        YAML::Mark first_node;  // the root node
        bool has_node = false;
    };
    std::vector<DocumentSeen> documents;
    const TreeNode* root = nullptr;

    void OnDocumentStart(const YAML::Mark& mark) override {
        documents.push_back(DocumentSeen{mark, mark, false});
        anchors_.clear();  // anchors are per document
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, Kind::null, false, kEmpty); }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        // yaml-cpp tags quoted scalars "!" and plain ones "?"; !!str is spelt out.
        leaf(mark, anchor, Kind::scalar, tag == "!" || tag == "tag:yaml.org,2002:str", value);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        note_document_node(mark);
        ++alias_uses_;
        const auto it = anchors_.find(anchor);
        const std::size_t size = it == anchors_.end() ? 1 : it->second.size;
        total_ += size;
        alias_added_ += size;
        if (alias_uses_ > config_limits::max_alias_uses)
            throw AliasLimit{source_pos(mark),
                             "more than " + std::to_string(config_limits::max_alias_uses) + " aliases (*name)"};
        if (alias_added_ > config_limits::max_alias_nodes + written_)
            throw AliasLimit{source_pos(mark), "aliases expand the document by more than " +
                                                   std::to_string(config_limits::max_alias_nodes) +
                                                   " nodes beyond those written"};
        if (building() && it != anchors_.end()) attach(it->second.node);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor, Kind::sequence);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor, Kind::map);
    }
    void OnMapEnd() override { close(); }

private:
    struct Open {
        TreeNode* node;  // null when not building (documents after the first)
        std::size_t total_at_start;
        YAML::anchor_t anchor;
    };
    struct Anchored {
        const TreeNode* node;
        std::size_t size;  // nodes a walk visits
    };

    bool building() const { return documents.size() == 1; }

    void note_document_node(const YAML::Mark& mark) {
        DocumentSeen& d = documents.back();
        if (!d.has_node) {
            d.first_node = mark;
            d.has_node = true;
        }
    }
    TreeNode* make(const YAML::Mark& mark, Kind kind) {
        if (!building()) return nullptr;
        TreeNode& n = nodes_.emplace_back();
        n.kind = kind;
        n.mark = mark;
        attach(&n);
        return &n;
    }
    void attach(const TreeNode* n) {
        if (!stack_.empty()) {
            if (stack_.back().node != nullptr) stack_.back().node->children.push_back(n);
        } else if (root == nullptr) {
            root = n;
        }
    }
    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, Kind kind, bool text, const std::string& value) {
        note_document_node(mark);
        ++written_;
        ++total_;
        TreeNode* n = make(mark, kind);
        if (n != nullptr) {
            n->text = text;
            n->scalar = value;
        }
        if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{n, 1};
    }
    void open(const YAML::Mark& mark, YAML::anchor_t anchor, Kind kind) {
        note_document_node(mark);
        ++written_;
        stack_.push_back(Open{make(mark, kind), total_, anchor});
        ++total_;
    }
    void close() {
        const Open o = stack_.back();
        stack_.pop_back();
        if (o.anchor != YAML::NullAnchor) anchors_[o.anchor] = Anchored{o.node, total_ - o.total_at_start};
    }

    std::deque<TreeNode>& nodes_;
    std::vector<Open> stack_;
    std::unordered_map<YAML::anchor_t, Anchored> anchors_;
    std::size_t written_ = 0;      // nodes in the text
    std::size_t total_ = 0;        // nodes a walk of the tree visits
    std::size_t alias_added_ = 0;  // the difference
    std::size_t alias_uses_ = 0;
};

// The character at `pos`, for the message (the tokens yaml-cpp gets stuck on are one character:
// ',', ']', '}', '?').
std::string token_at(const std::string& text, int pos) {
    if (pos < 0 || static_cast<std::size_t>(pos) >= text.size()) return "end of input";
    return std::string("'") + text[static_cast<std::size_t>(pos)] + "'";
}

}  // namespace

const std::string& Node::Scalar() const { return IsScalar() ? n_->scalar : kEmpty; }

std::size_t Node::size() const {
    if (n_ == nullptr) return 0;
    return n_->kind == Kind::map ? n_->children.size() / 2 : n_->children.size();
}

Node::iterator Node::begin() const { return iterator(n_, 0); }
Node::iterator Node::end() const {
    const bool has = n_ != nullptr && (n_->kind == Kind::map || n_->kind == Kind::sequence);
    return iterator(n_, has ? n_->children.size() : 0);
}

Item Node::iterator::operator*() const {
    Item item;
    if (parent_->kind == Kind::map) {
        item.first = Node(parent_->children[i_]);
        item.second = Node(parent_->children[i_ + 1]);
    } else {
        static_cast<Node&>(item) = Node(parent_->children[i_]);
    }
    return item;
}

std::optional<bool> parse_bool(const std::string& s) {
    static const char* const yes[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static const char* const no[] = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    for (const char* w : yes)
        if (s == w) return true;
    for (const char* w : no)
        if (s == w) return false;
    return std::nullopt;
}

Document load(const std::string& text) {
    Document doc;
    std::istringstream in(text);
    YAML::Parser parser(in);
    Builder builder(doc.nodes);
    try {
        // Three documents are enough to see both a stuck token right at the start ("," gives two
        // empty documents at one place) and one after a first document ("--- ,").
        for (int i = 0; i < 3 && parser.HandleNextDocument(builder); ++i) {
        }
    } catch (const AliasLimit& limit) {
        doc.problem.emplace(limit.pos, limit.message);
        return doc;
    }
    const auto& docs = builder.documents;
    for (std::size_t i = 1; i < docs.size(); ++i) {
        if (docs[i].start.pos == docs[i - 1].start.pos) {
            doc.problem.emplace(source_pos(docs[i].start),
                                "unexpected " + token_at(text, docs[i].start.pos) + " (not valid YAML here)");
            return doc;
        }
    }
    if (docs.size() > 1) {
        doc.problem.emplace(source_pos(docs[1].has_node ? docs[1].first_node : docs[1].start),
                            "only one YAML document is allowed");
        return doc;
    }
    doc.root = Node(builder.root);
    return doc;
}

}  // namespace dprouter::yaml
