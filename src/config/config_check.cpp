#include "dprouter/config_check.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "dprouter/config.hpp"

namespace dprouter {

namespace {

constexpr int kChildValid = 0;
constexpr int kChildInvalid = 2;
constexpr int kChildOutOfMemory = 3;
constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kMaxOutput = 1 << 20;  // what the parent keeps of the child's output


void write_all(int fd, const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// Called by operator new in the child when RLIMIT_AS refuses more memory.
[[noreturn]] void child_out_of_memory() { ::_exit(kChildOutOfMemory); }

// The child's own address space so far (it inherits the parent's mappings, which for a running
// router include the DPDK memory): the limit is added on top of it.
std::size_t current_address_space() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f != nullptr) {
        if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
        std::fclose(f);
    }
    return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

[[noreturn]] void run_child(const std::string& path, const CheckLimits& limits, int out_fd) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};  // SIGXCPU, then SIGKILL
    ::setrlimit(RLIMIT_CPU, &cpu);
    const rlim_t as = current_address_space() + limits.memory_bytes;
    rlimit mem{as, as};
    ::setrlimit(RLIMIT_AS, &mem);
    std::set_new_handler(child_out_of_memory);
    int rc = kChildValid;
    try {
        const ConfigResult r = load_config_file(path);
        std::string out;
        for (const std::string& line : error_lines(r.errors)) out += line + '\n';
        write_all(out_fd, out);
        rc = r.ok() ? kChildValid : kChildInvalid;
    } catch (const std::bad_alloc&) {
        rc = kChildOutOfMemory;
    }
    ::_exit(rc);
}

std::string limit_line(const std::string& path, const std::string& what) {
    return ConfigError{path, SourcePos{1, 1}, what}.to_string();
}

}  // namespace

CheckLimits check_limits_for(std::size_t file_bytes) {
    // yaml-cpp needs about 50 bytes of memory and 0.2 us of CPU per byte of a big routes: list
    // (1,000,000 routes: 46 MB, 2.3 GB, 10 s); the limits leave room for twice that.
    const std::size_t mib = file_bytes / kMiB;
    CheckLimits l;
    l.memory_bytes = 1024 * kMiB + 100 * file_bytes;
    l.cpu_seconds = static_cast<unsigned>(10 + mib / 2);
    l.wall_seconds = 2 * l.cpu_seconds + 10;  // the CPU may be shared
    return l;
}

CheckOutcome check_config_bounded(const std::string& path, const std::atomic<bool>* stop,
                                  const CheckLimits* limits_override) {
    CheckOutcome outcome;
    struct stat st {};
    const std::size_t size = ::stat(path.c_str(), &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
    const CheckLimits limits = limits_override ? *limits_override : check_limits_for(size);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        outcome.lines.push_back(limit_line(path, std::string("cannot check: pipe: ") + std::strerror(errno)));
        return outcome;
    }
    std::fflush(nullptr);  // nothing buffered may be written twice
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        outcome.lines.push_back(limit_line(path, std::string("cannot check: fork: ") + std::strerror(errno)));
        return outcome;
    }
    if (pid == 0) {
        ::close(fds[0]);
        run_child(path, limits, fds[1]);
    }
    ::close(fds[1]);

    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(limits.wall_seconds);
    std::string out;
    bool timed_out = false;
    bool stopped = false;
    bool eof = false;
    while (!eof) {
        if (stop != nullptr && stop->load()) {
            stopped = true;
            break;
        }
        if (clock::now() >= deadline) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        const int n = ::poll(&p, 1, 50);
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        char buf[4096];
        const ssize_t got = ::read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            eof = true;
        } else if (out.size() < kMaxOutput) {
            out.append(buf, static_cast<std::size_t>(got));
        }
    }
    ::close(fds[0]);
    if (!eof) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }

    if (stopped) {
        outcome.status = CheckOutcome::stopped;
        return outcome;
    }
    for (std::size_t start = 0; start < out.size();) {
        std::size_t end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        outcome.lines.push_back(out.substr(start, end - start));
        start = end + 1;
    }
    const unsigned mem_mib = static_cast<unsigned>(limits.memory_bytes / kMiB);
    if (timed_out) {
        outcome.lines.push_back(limit_line(path, "checking the configuration took longer than " +
                                                     std::to_string(limits.wall_seconds) + " s; refused"));
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kChildValid && outcome.lines.empty()) {
        outcome.status = CheckOutcome::valid;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kChildInvalid) {
        // the child printed the errors
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kChildOutOfMemory) {
        outcome.lines.push_back(limit_line(path, "checking the configuration needs more than " +
                                                     std::to_string(mem_mib) + " MiB of memory; refused"));
    } else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGKILL)) {
        outcome.lines.push_back(limit_line(path, "checking the configuration needs more than " +
                                                     std::to_string(limits.cpu_seconds) + " s of CPU; refused"));
    } else {
        outcome.lines.push_back(limit_line(path, "checking the configuration failed (" +
                                                     (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                                          : "exit " + std::to_string(WEXITSTATUS(status))) +
                                                     "); refused"));
    }
    return outcome;
}

}  // namespace dprouter
