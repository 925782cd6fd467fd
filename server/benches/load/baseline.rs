//! The raw baseline: the limit Palaver is measured against. A tokio + tokio-tungstenite
//! WebSocket server with one `tokio::sync::broadcast` channel per room; each socket's task
//! drains whatever is queued for it and flushes once (feed + flush). No authentication, no
//! persistence. Frames have Palaver's shape: `auth` (with the `room` to subscribe to) is
//! answered `ready`; `send` is answered with an `ack` to the sender and a `message` to the
//! room (the sender included); `ping` with `pong`.

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Frames a room may queue for one socket before that socket lags (and loses them).
const ROOM_CAPACITY: usize = 4096;
/// Palaver's socket buffers (server/src/ws/mod.rs), instead of tungstenite's 128 KiB.
const SOCKET_BUFFER: usize = 4 * 1024;

struct Room {
    tx: broadcast::Sender<Message>,
    seq: AtomicI64,
}

type Rooms = Arc<Mutex<HashMap<i64, Arc<Room>>>>;

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    room: Option<i64>,
    #[serde(default)]
    conversation_id: Option<i64>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    body: Option<String>,
}

/// Runs the baseline on 127.0.0.1:`port` until killed.
pub fn serve(port: u16) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("baseline binds");
        let rooms: Rooms = Arc::default();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            tokio::spawn(socket(tcp, rooms.clone()));
        }
    });
}

fn room(rooms: &Rooms, id: i64) -> Arc<Room> {
    rooms
        .lock()
        .expect("rooms lock")
        .entry(id)
        .or_insert_with(|| {
            Arc::new(Room {
                tx: broadcast::channel(ROOM_CAPACITY).0,
                seq: AtomicI64::new(0),
            })
        })
        .clone()
}

async fn recv(
    rx: &mut Option<broadcast::Receiver<Message>>,
) -> Result<Message, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn socket(tcp: TcpStream, rooms: Rooms) {
    let config = WebSocketConfig::default()
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let mut rx: Option<broadcast::Receiver<Message>> = None;
    let mut joined: Option<Arc<Room>> = None;
    loop {
        tokio::select! {
            incoming = stream.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                    continue;
                };
                let reply = match frame.kind.as_str() {
                    "auth" => {
                        let r = room(&rooms, frame.room.unwrap_or(0));
                        rx = Some(r.tx.subscribe());
                        joined = Some(r);
                        Some(r#"{"type":"ready"}"#.to_owned())
                    }
                    "ping" => Some(r#"{"type":"pong"}"#.to_owned()),
                    "send" => {
                        let Some(r) = joined.clone() else { continue };
                        let seq = r.seq.fetch_add(1, Ordering::Relaxed) + 1;
                        let conversation = frame.conversation_id.unwrap_or(0);
                        let message = serde_json::json!({
                            "type": "message",
                            "message": {
                                "conversation_id": conversation,
                                "seq": seq,
                                "client_id": frame.client_id,
                                "body": frame.body,
                            }
                        });
                        let _ = r.tx.send(Message::text(message.to_string()));
                        let ack = serde_json::json!({
                            "type": "ack",
                            "conversation_id": conversation,
                            "client_id": frame.client_id,
                            "seq": seq,
                        });
                        Some(ack.to_string())
                    }
                    _ => None,
                };
                if let Some(reply) = reply {
                    if sink.send(Message::text(reply)).await.is_err() {
                        return;
                    }
                }
            }
            event = recv(&mut rx) => {
                let first = match event {
                    Ok(m) => m,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if sink.feed(first).await.is_err() {
                    return;
                }
                if let Some(rx) = rx.as_mut() {
                    while let Ok(m) = rx.try_recv() {
                        if sink.feed(m).await.is_err() {
                            return;
                        }
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
