//! The `recovery-agent` command: everything lives in the library, so benchmarks and fuzz targets
//! build the same code.

fn main() -> std::process::ExitCode {
    recovery_agent::main()
}
