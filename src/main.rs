//! The `recovery-agent` command: everything lives in the library, so benchmarks and fuzz targets
//! build the same code.

// Diagnosing allocates in many small pieces on three threads (rules, regexes, lines, evidence), and
// passes blocks of lines between two of them: mimalloc does that work with about a sixth less CPU
// time than the system allocator. Without transparent huge pages its memory stays that of the
// system allocator's; with them a run held twice as much.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    recovery_agent::main()
}
