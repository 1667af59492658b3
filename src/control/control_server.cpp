#include "control/control_server.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "dprouter/config.hpp"

namespace dprouter {
namespace {

std::string errno_text() { return std::strerror(errno); }

sockaddr_un address_of(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.empty() || path.size() > config_limits::max_socket_path)
        throw std::runtime_error("control socket path '" + path + "' is empty or longer than " +
                                 std::to_string(config_limits::max_socket_path) + " bytes");
    std::memcpy(a.sun_path, path.data(), path.size());
    return a;
}

// Whether a process accepts connections on the socket at `path` (a router already running).
bool someone_listens(const sockaddr_un& a) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool listening = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return listening;
}

// Removes a socket file a dead process left at `path`; refuses to touch anything else.
void clear_stale(const std::string& path, const sockaddr_un& a) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw std::runtime_error("control socket " + path + ": " + errno_text());
    }
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("control socket " + path + " exists and is not a socket; not replacing it");
    if (someone_listens(a))
        throw std::runtime_error("control socket " + path + " is in use (is another dprouter running?)");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw std::runtime_error("cannot remove stale control socket " + path + ": " + errno_text());
}

}  // namespace

std::string control_error_line(const std::string& message) {
    return nlohmann::json{{"ok", false}, {"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ControlServer::ControlServer(std::string path, RequestHandler handler, ControlServerLimits limits)
    : ControlServer(std::move(path),
                    StreamingRequestHandler([h = std::move(handler)](const std::string& line) {
                        return ControlAnswer{h(line), nullptr};
                    }),
                    limits) {}

ControlServer::ControlServer(std::string path, StreamingRequestHandler handler, ControlServerLimits limits)
    : path_(std::move(path)), handler_(std::move(handler)), limits_(limits) {
    const sockaddr_un a = address_of(path_);
    clear_stale(path_, a);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("control socket: " + errno_text());
    // Root only: the socket changes routes. The umask keeps it private from the moment it exists
    // (a chmod after bind would leave a window); the chmod makes 0600 explicit.
    const mode_t old_mask = ::umask(0177);
    const int bound = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    const int bind_errno = errno;
    ::umask(old_mask);
    if (bound != 0) {
        ::close(listen_fd_);
        listen_fd_ = -1;
        throw std::runtime_error("cannot bind control socket " + path_ + ": " + std::strerror(bind_errno));
    }
    if (::chmod(path_.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0) {
        const std::string why = errno_text();
        ::close(listen_fd_);
        listen_fd_ = -1;
        ::unlink(path_.c_str());
        throw std::runtime_error("control socket " + path_ + ": " + why);
    }
}

ControlServer::~ControlServer() {
    for (auto& c : clients_) close_client(*c);
    if (listen_fd_ >= 0) {
        ::close(listen_fd_);
        ::unlink(path_.c_str());
    }
}

void ControlServer::close_client(Client& c) {
    c.stream.reset();  // a capture ends with its client, whatever the reason
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
}

bool ControlServer::poll(uint64_t now_ms) {
    bool busy = false;
    accept_new(now_ms, busy);
    // Read and answer every client first, write afterwards: the round's changes are published
    // together by before_answers_, and no answer leaves before they are.
    bool any_answered = false;
    for (auto it = clients_.begin(); it != clients_.end();) {
        if (service(**it, now_ms, busy)) {
            any_answered |= (*it)->answered;
            ++it;
        } else {
            close_client(**it);
            it = clients_.erase(it);
            busy = true;
        }
    }
    if (!any_answered) return busy;
    ++stats_.rounds;
    if (before_answers_) before_answers_();
    for (auto it = clients_.begin(); it != clients_.end();) {
        Client& c = **it;
        const bool keep = !c.answered || flush(c, now_ms, busy);
        c.answered = false;
        if (keep) {
            ++it;
        } else {
            close_client(c);
            it = clients_.erase(it);
        }
    }
    return busy;
}

void ControlServer::accept_new(uint64_t now_ms, bool& busy) {
    for (unsigned i = 0; i < limits_.accepts_per_poll; ++i) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a connection that died in the backlog: nothing to do
        busy = true;
        if (clients_.size() >= limits_.max_clients) {
            // Best effort: the error fits any socket buffer; a peer that cannot take it loses it.
            const std::string line = control_error_line("too many control clients (at most " +
                                                        std::to_string(limits_.max_clients) + "); try again") + '\n';
            [[maybe_unused]] ssize_t n = ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            ::close(fd);
            ++stats_.refused_busy;
            continue;
        }
        auto c = std::make_unique<Client>();
        c->fd = fd;
        c->last_activity_ms = now_ms;
        clients_.push_back(std::move(c));
        ++stats_.accepted;
    }
}

bool ControlServer::service(Client& c, uint64_t now_ms, bool& busy) {
    if (c.stream) return service_stream(c, now_ms, busy);
    // Write first: a client gets no new answers before it has read the last ones, so a peer that
    // pipelines requests without reading can hold at most one poll's batch here.
    if (c.out_sent < c.out.size()) {
        if (!flush(c, now_ms, busy)) return false;
        if (c.out_sent < c.out.size()) {
            if (now_ms - c.last_activity_ms > limits_.idle_timeout_ms) {
                ++stats_.timed_out;
                return false;
            }
            return true;
        }
    }
    if (c.close_after_write) return false;

    // Complete requests already buffered (several sent at once) are answered before reading more.
    const auto first_nl = c.in.find('\n');
    if (first_nl != std::string::npos ? first_nl >= limits_.max_request : c.in.size() >= limits_.max_request)
        return refuse_oversized(c, now_ms, busy);
    if (first_nl == std::string::npos) {
        char buf[16 * 1024];
        const std::size_t want = std::min(sizeof buf, limits_.read_chunk);
        const ssize_t n = ::recv(c.fd, buf, want, MSG_DONTWAIT);
        if (n == 0) {
            if (!c.in.empty()) ++stats_.dropped;  // gone mid-request
            return false;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                ++stats_.dropped;
                return false;
            }
            if (now_ms - c.last_activity_ms > limits_.idle_timeout_ms) {
                ++stats_.timed_out;
                return false;
            }
            return true;
        }
        busy = true;
        c.last_activity_ms = now_ms;
        const std::string_view got(buf, static_cast<std::size_t>(n));
        const auto nl = got.find('\n');
        const std::size_t line_len = c.in.size() + (nl == std::string_view::npos ? got.size() : nl + 1);
        if (line_len > limits_.max_request) return refuse_oversized(c, now_ms, busy);
        c.in.append(got);
    }
    answer_buffered(c, busy);
    return true;
}

void ControlServer::answer_buffered(Client& c, bool& busy) {
    // The answers go out after the poll's before_answers_ (poll()); a line longer than
    // max_request behind them is refused by the next poll (service()), once they are sent.
    std::size_t from = 0;
    for (unsigned n = 0; n < limits_.requests_per_poll && c.out.size() < limits_.batch_output && !c.stream; ++n) {
        const auto nl = c.in.find('\n', from);
        if (nl == std::string::npos || nl - from >= limits_.max_request) break;
        answer(c, c.in.substr(from, nl - from));
        from = nl + 1;
        c.answered = true;
        busy = true;
    }
    c.in.erase(0, from);
}

bool ControlServer::service_stream(Client& c, uint64_t now_ms, bool& busy) {
    if (!flush(c, now_ms, busy)) return false;
    const std::size_t pending = c.out.size() - c.out_sent;
    if (pending != 0 && now_ms - c.last_activity_ms > limits_.idle_timeout_ms) {
        ++stats_.timed_out;  // not reading: the stream ends rather than waiting on it for ever
        return false;
    }
    if (c.close_after_write) return pending != 0;
    if (pending < kStreamWindow) {
        if (c.out_sent != 0) {
            c.out.erase(0, c.out_sent);
            c.out_sent = 0;
        }
        const std::size_t before = c.out.size();
        const bool more = c.stream->pump(c.out, kStreamWindow - before, now_ms);
        if (c.out.size() != before) {
            busy = true;
            if (before == 0) c.last_activity_ms = now_ms;  // the time to read it starts now
            if (!flush(c, now_ms, busy)) return false;
        }
        if (!more) {
            c.close_after_write = true;
            return c.out_sent < c.out.size();
        }
    }
    if (!c.stream_finishing) {
        // Anything the client sends is ignored; its end of file (shutdown) ends the stream.
        char buf[512];
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0) {
            c.stream_finishing = true;
            c.stream->finish();
            busy = true;
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            ++stats_.dropped;
            return false;
        }
    }
    return true;
}

bool ControlServer::refuse_oversized(Client& c, uint64_t now_ms, bool& busy) {
    // Refused without buffering the rest: the client is told why and closed.
    ++stats_.oversized;
    c.in.clear();
    c.out = control_error_line("request longer than " + std::to_string(limits_.max_request) + " bytes") + '\n';
    c.out_sent = 0;
    c.close_after_write = true;
    return flush(c, now_ms, busy);
}

void ControlServer::answer(Client& c, const std::string& line) {
    ++stats_.requests;
    std::string reply;
    try {
        ControlAnswer a = handler_(line);
        reply = std::move(a.line);
        if (a.stream) {
            c.stream = std::move(a.stream);
            ++stats_.streams;
        }
    } catch (const std::exception& e) {  // handlers should not throw; a bug must not end the router
        reply = control_error_line(std::string("internal error: ") + e.what());
    }
    if (reply.size() + 1 > limits_.max_pending_output)
        reply = control_error_line("answer larger than " + std::to_string(limits_.max_pending_output) + " bytes");
    reply += '\n';
    if (c.out.empty()) c.out = std::move(reply);
    else c.out += reply;
}

bool ControlServer::flush(Client& c, uint64_t now_ms, bool& busy) {
    while (c.out_sent < c.out.size()) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
            ++stats_.dropped;  // EPIPE, ECONNRESET: the reader is gone
            return false;
        }
        busy = true;
        c.out_sent += static_cast<std::size_t>(n);
        c.last_activity_ms = now_ms;
    }
    c.out.clear();
    c.out_sent = 0;
    return true;
}

}  // namespace dprouter
