//! The `recovery-agent` command: everything lives in the library, so benchmarks and fuzz targets
//! build the same code.

// Diagnosing allocates in many small pieces on three threads (rules, regexes, lines, evidence), and
// passes blocks of lines between two of them: mimalloc does that work with about a tenth less CPU
// time than the system allocator (version 3 held more memory and ran `eval` 5% slower). It asks for
// transparent huge pages where the kernel grants them on request: a run touches ~20 MB of fresh
// memory, and faulting it in 4 KiB pages cost a diagnosis of a 10 MB log about a fifth of its CPU
// time. Peak memory rises to 36-48 MB (from 20-30 MB).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    recovery_agent::main()
}
