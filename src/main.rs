//! The `convc` command. Everything lives in the library; see `cli.rs`.

fn main() {
    std::process::exit(convc::cli::main());
}
