// kernel_routes_probe: the kernel route importer against a recording RouteSink, no DPDK, no ports.
// For the lab tests (tests/lab/test_kernel_import.sh) and for looking at what the router would
// import from a namespace's kernel:
//
//     kernel_routes_probe [--out FILE] [--once] [--rcvbuf BYTES] [--summary] NAME...
//
// NAMEs are the router's interface names in config order (index 0, 1, ...). After every change the
// probe rewrites FILE (atomically, by rename) with a status line "# resyncs=R overruns=O refused=F
// held=H sink_refusals=S" and then one line per imported route, sorted (route_line in
// recording_route_sink.hpp: "kernel 10.9.0.0/24 forward via 10.1.0.5 dev 0 proto 4 metric 0",
// dev = interface index). Without --out the same goes to stdout. --once prints the set after the
// first full dump and exits. --rcvbuf sets the notification socket's buffer (default: the
// router's). --summary writes the status line only, with routes=N (the size of the set) and the
// probe's peak RSS, for tables too large to list. The file is rewritten at most every 100 ms while changes keep coming, and at once
// when they stop. SIGINT/SIGTERM end it with status 0.
#include <poll.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "control/kernel_routes.hpp"
#include "recording_route_sink.hpp"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

long peak_rss_kb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

void write_set(const std::string& out, const dprouter::KernelRouteImporter& imp,
               const dprouter::RecordingRouteSink& sink, bool summary) {
    const auto& s = imp.stats();
    std::string text = "# resyncs=" + std::to_string(s.resyncs) + " overruns=" + std::to_string(s.overruns) +
                       " refused=" + std::to_string(s.refused) + " held=" + std::to_string(imp.routes_held()) +
                       " sink_refusals=" + std::to_string(s.sink_refusals);
    if (summary) {
        text += " routes=" + std::to_string(sink.held.size()) + " peak_rss_kb=" + std::to_string(peak_rss_kb()) + "\n";
    } else {
        text += "\n";
        for (const std::string& l : sink.lines()) text += l + "\n";
    }
    if (out.empty()) {
        std::cout << text << std::flush;
        return;
    }
    const std::string tmp = out + ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << text;
    }
    std::rename(tmp.c_str(), out.c_str());
}
}  // namespace

int main(int argc, char** argv) {
    std::string out;
    bool once = false, summary = false;
    int rcvbuf = dprouter::KernelRouteImporter::kEventBufferBytes;
    std::vector<std::string> names;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--out" && i + 1 < argc) out = argv[++i];
        else if (a == "--rcvbuf" && i + 1 < argc) rcvbuf = std::stoi(argv[++i]);
        else if (a == "--once") once = true;
        else if (a == "--summary") summary = true;
        else if (!a.empty() && a[0] == '-') {
            std::cerr << "usage: kernel_routes_probe [--out FILE] [--once] [--rcvbuf BYTES] [--summary] NAME...\n";
            return 2;
        } else names.push_back(a);
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    dprouter::RecordingRouteSink sink;
    try {
        dprouter::KernelRouteImporter imp(names, sink, rcvbuf);
        unsigned seen_commits = ~0u;
        using clock = std::chrono::steady_clock;
        auto last_write = clock::now();
        while (!g_stop) {
            const bool busy = imp.poll();
            if (imp.synchronised() && sink.commits != seen_commits &&
                (!busy || clock::now() - last_write > std::chrono::milliseconds(100))) {
                seen_commits = sink.commits;
                write_set(out, imp, sink, summary);
                last_write = clock::now();
                if (once) return 0;
            }
            if (!busy) {
                pollfd fds[2] = {{imp.event_fd(), POLLIN, 0}, {imp.dump_fd(), POLLIN, 0}};
                ::poll(fds, imp.dump_fd() >= 0 ? 2 : 1, 20);
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "kernel_routes_probe: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
