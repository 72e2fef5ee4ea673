//! The client against a raw TCP server that misbehaves the way a real one may.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// Reads one request's head; false at EOF.
fn read_request(r: &mut BufReader<TcpStream>) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return true,
            Ok(_) => {}
        }
    }
}

fn answer(s: &mut TcpStream) {
    let body = "{}";
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn a_get_on_a_pooled_connection_the_server_closed_is_sent_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let mut r = BufReader::new(s.try_clone().unwrap());
            if !read_request(&mut r) {
                continue;
            }
            answer(&mut s);
            if n == 0 {
                // The first connection stays in the client's pool; its next request is read
                // and dropped unanswered, as when an idle connection is closed just as it is reused.
                read_request(&mut r);
                drop(s);
            }
        }
    });
    let client = Client::new(ClientConfig {
        address: format!("http://{addr}"),
        region: None,
        namespace: None,
        token: None,
    });
    let first: Result<(serde_json::Value, QueryMeta)> = client.get("/v1/status/leader", &[]);
    assert!(first.is_ok(), "{:?}", first.err());
    let second: Result<(serde_json::Value, QueryMeta)> = client.get("/v1/status/leader", &[]);
    assert!(second.is_ok(), "{:?}", second.err());
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "sent again on a new connection"
    );
}
