// dprouter command line: --config FILE [--check] [--log-level LEVEL] [-- EXTRA-EAL-ARGS...]
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/program_options.hpp>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>

#include "dprouter/config.hpp"
#include "dprouter/config_check.hpp"
#include "dprouter/log.hpp"
#include "dprouter/memif_socket.hpp"
#include "dprouter/router.hpp"
#include "dprouter/simd_policy.hpp"
#include "dprouter/startup_phases.hpp"

namespace po = boost::program_options;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_signal(int sig) {
    if (sig == SIGHUP)
        g_reload.store(true);
    else
        g_stop.store(true);
}

void install_signal_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
}

struct Options {
    std::string config;
    bool check = false;
    std::string log_level = "info";
    std::vector<std::string> extra_eal;
};

// Returns an exit code to leave with, or -1 to carry on.
int parse_command_line(int argc, char** argv, Options& opt) {
    po::options_description visible("Usage: dprouter --config FILE [--check] [--log-level LEVEL] [-- EAL-ARGS...]");
    visible.add_options()
        ("help,h", "show this help")
        ("config,c", po::value<std::string>(&opt.config), "YAML configuration file")
        ("check", po::bool_switch(&opt.check), "validate the configuration and exit (0 valid, 2 invalid)")
        ("log-level", po::value<std::string>(&opt.log_level),
         "emergency|alert|critical|error|warning|notice|info|debug (default info)");
    po::options_description hidden;
    hidden.add_options()("eal", po::value<std::vector<std::string>>(&opt.extra_eal));
    po::options_description all;
    all.add(visible).add(hidden);
    po::positional_options_description positional;
    positional.add("eal", -1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << visible << "\nEAL arguments come from dpdk.eal_args in FILE, then those after '--'.\n";
            return kExitOk;
        }
    } catch (const po::error& e) {
        std::cerr << "dprouter: " << e.what() << "\n" << visible;
        return kExitFailure;
    }
    if (opt.config.empty()) {
        std::cerr << "dprouter: --config FILE is required\n" << visible;
        return kExitFailure;
    }
    return -1;
}

int run_router(dprouter::Config&& cfg, const Options& opt, dprouter::StartupPhases& phases) {
    std::vector<std::string> args{"dprouter"};
    args.insert(args.end(), cfg.dpdk.eal_args.begin(), cfg.dpdk.eal_args.end());
    args.insert(args.end(), opt.extra_eal.begin(), opt.extra_eal.end());
    // A memif server port given to the EAL (--vdev) is probed inside rte_eal_init: its stale socket
    // goes first (interfaces[].device ports are handled in probe_port).
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--vdev" && i + 1 < args.size()) dprouter::reclaim_stale_memif_socket(args[i + 1]);
        else if (args[i].starts_with("--vdev=")) dprouter::reclaim_stale_memif_socket(args[i].substr(7));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
        std::fprintf(stderr, "dprouter: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return kExitFailure;
    }
    phases.mark("EAL");
    // Before the Router builds its FIBs: they choose their lookups when they are created.
    dprouter::apply_simd_policy();
    install_signal_handlers();
    // Lets DPDK's dpdk-dumpcap (a secondary process) capture on the ports where the EAL shares its
    // configuration; dprouterctl capture works either way (docs/control-plane.md "Capture").
    const bool pdump = rte_pdump_init() == 0;
    if (!pdump) DPR_LOG(INFO, "pdump not available (dpdk-dumpcap cannot attach): %s\n", rte_strerror(rte_errno));
    // The log level is only known to DPDK's log once the EAL runs: the phases so far go out now.
    DPR_LOG(INFO, "start-up: %s\n", phases.text().c_str());
    int rc = kExitOk;
    try {
        // Moved, not copied: with a large table the Config holds every route.
        dprouter::Router router(std::move(cfg));
        router.run(g_stop, g_reload);
        router.print_counters(stdout);
        std::fflush(stdout);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dprouter: %s\n", e.what());
        rc = kExitFailure;
    }
    if (pdump) rte_pdump_uninit();
    rte_eal_cleanup();
    return rc;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (int rc = parse_command_line(argc, argv, opt); rc >= 0) return rc;
    const auto level = dprouter::parse_log_level(opt.log_level);
    if (!level) {
        std::fprintf(stderr, "dprouter: unknown log level '%s'\n", opt.log_level.c_str());
        return kExitFailure;
    }
    dprouter::set_log_level(*level);

    // The file is checked with bounded time and memory first (a hostile file costs a child
    // process, not a hang); only a file found valid is parsed here.
    dprouter::StartupPhases phases;
    const dprouter::CheckOutcome checked = dprouter::check_config_bounded(opt.config);
    phases.mark("check");
    for (const auto& line : checked.lines) std::fprintf(stderr, "%s\n", line.c_str());
    if (checked.status != dprouter::CheckOutcome::valid) return kExitBadConfig;
    if (opt.check) {
        std::printf("%s: configuration is valid\n", opt.config.c_str());
        return kExitOk;
    }
    dprouter::ConfigResult result = dprouter::load_config_file(opt.config);
    phases.mark("parse");
    for (const auto& line : dprouter::error_lines(result.errors)) std::fprintf(stderr, "%s\n", line.c_str());
    if (!result.ok()) return kExitBadConfig;  // the file changed since the check
    return run_router(std::move(result.config), opt, phases);
}
