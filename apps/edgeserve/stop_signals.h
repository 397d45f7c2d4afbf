// SIGTERM/SIGINT handling shared by the long-running subcommands (serve, count): the signals are
// blocked before any thread starts, so no thread is interrupted by them, and the main thread
// collects them with sigwait()/sigtimedwait().
#pragma once

#include <csignal>

namespace edgeserve::cli {

// Blocks SIGTERM and SIGINT in this thread and every thread started after it; returns the set.
sigset_t block_stop_signals();

}  // namespace edgeserve::cli
