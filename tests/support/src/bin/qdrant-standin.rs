//! Run the Qdrant stand-in (tests' gRPC server, in memory, exact search) on an address, for
//! measurements of the `qdrant` code path where no Qdrant server can be installed:
//! `cargo run --release -p provisio-testkit --bin qdrant-standin -- 127.0.0.1:6334`
//! It is not Qdrant; figures taken against it measure our client path, not Qdrant.
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:6334".into());
    let s = provisio_testkit::QdrantStandIn::start_on(&addr)?;
    eprintln!("qdrant stand-in listening at {} (Ctrl-C to stop)", s.url);
    loop {
        std::thread::park();
    }
}
