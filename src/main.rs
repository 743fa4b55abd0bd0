//! The `recovery-agent` command: everything lives in the library, so benchmarks and fuzz targets
//! build the same code.

// Diagnosing allocates in many small pieces on three threads (rules, regexes, lines, evidence), and
// passes blocks of lines between two of them: mimalloc does that work with about a tenth less CPU
// time than the system allocator. Its version 2 without transparent huge pages keeps memory near
// the system allocator's; version 3 held half as much again, and ran `eval` 5% slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    recovery_agent::main()
}
