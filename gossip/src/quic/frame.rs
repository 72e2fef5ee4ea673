//! Length-delimited MessagePack frames on QUIC streams: a 4-byte big-endian
//! length, then the payload. Readers refuse frames above their limit before
//! allocating.

use quinn::{RecvStream, SendStream};
use serde::{Deserialize, Serialize};

use crate::codec::{self, Blob};

/// Stream-level failure (the transport maps it to the crate error).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("frame of {0} bytes exceeds the limit of {1}")]
    TooLarge(usize, usize),
    #[error("stream: {0}")]
    Read(#[from] quinn::ReadExactError),
    #[error("stream: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("stream: {0}")]
    Closed(#[from] quinn::ClosedStream),
    #[error("decode: {0}")]
    Codec(#[from] codec::CodecError),
    #[error("encode: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
}

/// The first frame of every bi stream: a request (one reply follows), or the
/// opening of a message stream (frames follow both ways until either side
/// finishes).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Opening {
    Request(Blob),
    Stream(Blob),
}

/// The answer to a request.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Reply {
    Ok(Blob),
    Err(String),
}

pub(crate) async fn write_frame(send: &mut SendStream, payload: &[u8]) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len())
        .map_err(|_| FrameError::TooLarge(payload.len(), u32::MAX as usize))?;
    send.write_all(&len.to_be_bytes()).await?;
    send.write_all(payload).await?;
    Ok(())
}

pub(crate) async fn read_frame(recv: &mut RecvStream, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge(len, max));
    }
    let mut buf = vec![0u8; len];
    recv.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Writes one MessagePack value as a frame.
pub(crate) async fn write_msg<T: Serialize>(
    send: &mut SendStream,
    value: &T,
) -> Result<(), FrameError> {
    write_frame(send, &codec::encode(value)?).await
}

/// Reads one MessagePack value from a frame.
pub(crate) async fn read_msg<T: serde::de::DeserializeOwned>(
    recv: &mut RecvStream,
    max: usize,
) -> Result<T, FrameError> {
    let buf = read_frame(recv, max).await?;
    Ok(codec::decode_exact(&buf)?)
}
