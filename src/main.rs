//! The `recovery-agent` command: everything lives in the library, so benchmarks and fuzz targets
//! build the same code.

// Diagnosing allocates in many small pieces on three threads (rules, regexes, lines, evidence), and
// passes blocks of lines between two of them: mimalloc does that work with about a tenth less CPU
// time than the system allocator (version 3 held more memory and ran `eval` 5% slower). It asks for
// transparent huge pages where the kernel grants them on request: a short run touches ~20 MB of
// fresh memory, and faulting it in 4 KiB pages cost a diagnosis of a 10 MB log about a tenth of
// its CPU time; peak memory roughly doubles, to ~50 MB.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    recovery_agent::main()
}
