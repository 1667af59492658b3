// The Unix stream socket dprouterctl talks to (control_plane.socket), serviced from the control
// thread's loop without ever blocking it: the listening socket and every client are non-blocking,
// each poll() does a bounded amount of work, and a client that sends too much, sends garbage,
// stalls or vanishes costs the router at most its own (bounded) buffers.
//
// Framing (docs/control-plane.md "dprouterctl"): a request is one line, a JSON object ended by
// '\n'; the answer to each is one line, a JSON object ended by '\n'. A connection may carry any
// number of requests in turn. What the requests mean is the RequestHandler's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/control_stream.hpp"

namespace dprouter {

struct ControlServerLimits {
    std::size_t max_clients = 16;              // connections held at once; more are told so and closed
    std::size_t max_request = 64 * 1024;       // bytes of one request line, '\n' included
    std::size_t max_pending_output = 64u << 20;  // an answer bigger than this is replaced by an error
    uint64_t idle_timeout_ms = 10000;          // a client that neither completes a request nor reads
                                               // its answer for this long is dropped
    unsigned accepts_per_poll = 8;
    std::size_t read_chunk = 16 * 1024;        // bytes read per client per poll
    // Requests answered per client per poll (pipelined ones, read together), and the answers'
    // bytes after which a client's batch stops: what a client that never reads can make the
    // router hold is one batch (plus one answer of up to max_pending_output).
    unsigned requests_per_poll = 256;
    std::size_t batch_output = 64 * 1024;
};

// Turns one request line (without its '\n') into one answer line (without its '\n'). Never throws.
using RequestHandler = std::function<std::string(const std::string& line)>;
// The same for a handler some of whose requests open a stream (control_stream.hpp).
using StreamingRequestHandler = std::function<ControlAnswer(const std::string& line)>;

// A stream is handed this many bytes at most ahead of what its client has read: a client that
// stops reading holds at most this much of the router's memory (the stream itself drops, and
// counts, what does not fit).
inline constexpr std::size_t kStreamWindow = 1u << 20;

class ControlServer {
public:
    // Binds `path` with mode 0600. A socket file left behind by a dead router is replaced; a
    // socket something still listens on, or a file that is not a socket, is not touched and
    // makes this throw std::runtime_error naming the path.
    ControlServer(std::string path, RequestHandler handler, ControlServerLimits limits = {});
    ControlServer(std::string path, StreamingRequestHandler handler, ControlServerLimits limits = {});
    ~ControlServer();  // closes every connection and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // One round of non-blocking work: accept, read, answer, write, time out. Every client's
    // complete requests are answered first (up to requests_per_poll each), then `before_answers`
    // runs once, then the answers are written: the changes of a whole round are published
    // together, and an answer still means "done" (docs/control-plane.md "Coalesced commits").
    // Returns true when it did anything (the caller's loop then does not sleep).
    bool poll(uint64_t now_ms);

    // Runs once per poll() that answered a request, after the last answer is made and before any
    // is sent (the router commits the route changes of the round there).
    void set_before_answers(std::function<void()> f) { before_answers_ = std::move(f); }

    const std::string& path() const { return path_; }
    std::size_t clients() const { return clients_.size(); }

    struct Stats {
        uint64_t accepted = 0;
        uint64_t refused_busy = 0;   // connections beyond max_clients
        uint64_t requests = 0;
        uint64_t oversized = 0;      // requests longer than max_request
        uint64_t timed_out = 0;
        uint64_t dropped = 0;        // closed by the peer mid-request or on a write error
        uint64_t streams = 0;        // answers that opened a stream (dprouterctl capture)
        uint64_t rounds = 0;         // polls that answered requests (one before_answers each)
    };
    const Stats& stats() const { return stats_; }

private:
    struct Client {
        int fd = -1;
        std::string in;
        std::string out;
        std::size_t out_sent = 0;
        uint64_t last_activity_ms = 0;
        bool close_after_write = false;
        std::unique_ptr<ControlStream> stream;  // after the answer line: bytes until it is over
        bool stream_finishing = false;           // the client shut down its side
        bool answered = false;                   // answers of this poll wait in `out`
    };

    void accept_new(uint64_t now_ms, bool& busy);
    // false: the client is to be closed now.
    bool service(Client& c, uint64_t now_ms, bool& busy);
    bool flush(Client& c, uint64_t now_ms, bool& busy);
    bool refuse_oversized(Client& c, uint64_t now_ms, bool& busy);
    bool service_stream(Client& c, uint64_t now_ms, bool& busy);
    void answer(Client& c, const std::string& line);  // appends the answer to c.out
    void answer_buffered(Client& c, bool& busy);     // up to requests_per_poll complete requests
    static void close_client(Client& c);

    std::string path_;
    StreamingRequestHandler handler_;
    std::function<void()> before_answers_;
    ControlServerLimits limits_;
    int listen_fd_ = -1;
    std::vector<std::unique_ptr<Client>> clients_;
    Stats stats_;
};

// One-line JSON error answer {"ok":false,"error":MESSAGE}, for the server's own refusals.
std::string control_error_line(const std::string& message);

}  // namespace dprouter
