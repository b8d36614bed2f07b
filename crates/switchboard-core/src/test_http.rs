//! Test-only: the bare HTTP/1.1 the unit tests' small loopback servers speak (one request per
//! connection, answered with JSON and closed). Integration suites use the real sandbox and
//! framework instead.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request as a test server received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line and headers, as sent.
    pub head: String,
    pub body: String,
}

impl Request {
    pub fn method(&self) -> &str {
        self.head.split(' ').next().unwrap_or("")
    }

    /// The request target, e.g. `/contact?jwtToken=…`.
    pub fn target(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("")
    }
}

/// Reads one request (head, then `content-length` bytes of body); `None` when the peer closed
/// before a whole head arrived.
pub async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (i + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        head: String::from_utf8_lossy(&buf[..head_end]).to_string(),
        body: String::from_utf8_lossy(&buf[head_end..]).to_string(),
    })
}

/// Answers `200 OK` with a JSON body and closes the connection.
pub async fn answer_json(stream: &mut TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
}
