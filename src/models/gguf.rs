//! A small, defensive reader of GGUF headers (metadata and tensor descriptors, not weights).
//!
//! candle's reader rejects tensor types it cannot run (IQ*), so `pyward models info` uses this one
//! to describe any GGUF file, including ones pyward cannot load. Large arrays (the vocabulary,
//! merges) are skipped over, keeping only their length; every length read from the file is bounded
//! so a corrupt or hostile header cannot make the reader allocate gigabytes.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::Path;

use super::error::ModelsError;

/// The longest metadata string kept (chat templates are a few KB; a tokenizer.json blob can be MBs).
const MAX_STRING: u64 = 64 << 20;
/// Upper bounds on counts read from the header.
const MAX_TENSORS: u64 = 1 << 20;
const MAX_KV: u64 = 1 << 20;
const MAX_DIMS: u32 = 8;
/// Arrays up to this length are kept (as values); longer ones only as a length.
const KEEP_ARRAY: u64 = 64;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// An array: element type name, length, and the values when short.
    Array {
        elem: &'static str,
        len: u64,
        values: Vec<MetaValue>,
    },
}

impl MetaValue {
    /// The value as an unsigned integer, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            MetaValue::UInt(v) => Some(*v),
            MetaValue::Int(v) if *v >= 0 => Some(*v as u64),
            _ => None,
        }
    }

    /// The value as a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The length of an array value.
    pub fn array_len(&self) -> Option<u64> {
        match self {
            MetaValue::Array { len, .. } => Some(*len),
            _ => None,
        }
    }
}

/// One tensor descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dims: Vec<u64>,
    /// The ggml type id.
    pub ggml_type: u32,
}

impl TensorInfo {
    /// Number of elements.
    pub fn elements(&self) -> u64 {
        self.dims
            .iter()
            .copied()
            .fold(1u64, |a, d| a.saturating_mul(d))
    }
}

/// The parsed header of a GGUF file.
#[derive(Debug, Clone)]
pub struct GgufHeader {
    pub version: u32,
    pub metadata: BTreeMap<String, MetaValue>,
    pub tensors: Vec<TensorInfo>,
}

impl GgufHeader {
    /// Reads the header of the GGUF file at `path`.
    pub fn read(path: &Path) -> Result<GgufHeader, ModelsError> {
        let f = std::fs::File::open(path).map_err(|e| ModelsError::io(path, e))?;
        let file_len = f.metadata().map_err(|e| ModelsError::io(path, e))?.len();
        let mut r = Reader {
            inner: BufReader::with_capacity(1 << 16, f),
            file_len,
            pos: 0,
        };
        r.header().map_err(|message| ModelsError::Gguf {
            path: path.to_path_buf(),
            message,
        })
    }

    /// A metadata value by key.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// A metadata string by key.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(MetaValue::as_str)
    }

    /// A metadata integer by key.
    pub fn get_u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(MetaValue::as_u64)
    }
}

struct Reader {
    inner: BufReader<std::fs::File>,
    file_len: u64,
    /// Bytes consumed so far (tracked here: asking the file would cost a system call per value).
    pos: u64,
}

type R<T> = Result<T, String>;

impl Reader {
    fn bytes<const N: usize>(&mut self) -> R<[u8; N]> {
        let mut b = [0u8; N];
        self.inner
            .read_exact(&mut b)
            .map_err(|e| format!("truncated header ({e})"))?;
        self.pos += N as u64;
        Ok(b)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.bytes::<1>()?[0])
    }
    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes(self.bytes()?))
    }
    fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }
    fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn skip(&mut self, n: u64) -> R<()> {
        if self.pos.saturating_add(n) > self.file_len {
            return Err(format!(
                "a value of {n} bytes runs past the end of the file"
            ));
        }
        // Within the buffer this is a pointer move, not a system call.
        self.inner
            .seek_relative(n as i64)
            .map_err(|e| e.to_string())?;
        self.pos += n;
        Ok(())
    }

    fn string(&mut self, keep: bool) -> R<Option<String>> {
        let len = self.u64()?;
        if len > MAX_STRING || self.pos.saturating_add(len) > self.file_len {
            return Err(format!("string length {len} is implausible"));
        }
        if !keep {
            self.skip(len)?;
            return Ok(None);
        }
        let mut buf = vec![0u8; len as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| format!("truncated string ({e})"))?;
        self.pos += len;
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }

    fn value(&mut self, ty: u32, keep: bool, depth: u32) -> R<Option<MetaValue>> {
        let v = match ty {
            0 => MetaValue::UInt(self.u8()? as u64),
            1 => MetaValue::Int(self.u8()? as i8 as i64),
            2 => MetaValue::UInt(self.u16()? as u64),
            3 => MetaValue::Int(self.u16()? as i16 as i64),
            4 => MetaValue::UInt(self.u32()? as u64),
            5 => MetaValue::Int(self.u32()? as i32 as i64),
            6 => MetaValue::Float(f32::from_le_bytes(self.bytes()?) as f64),
            7 => MetaValue::Bool(self.u8()? != 0),
            8 => match self.string(keep)? {
                Some(s) => MetaValue::Str(s),
                None => return Ok(None),
            },
            9 => {
                if depth > 2 {
                    return Err("arrays nested too deeply".to_string());
                }
                let elem_ty = self.u32()?;
                let len = self.u64()?;
                if len > self.file_len {
                    return Err(format!("array length {len} is implausible"));
                }
                let keep_values = keep && len <= KEEP_ARRAY;
                let fixed = match elem_ty {
                    0 | 1 | 7 => Some(1u64),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                let mut values = Vec::new();
                match (fixed, keep_values) {
                    (Some(sz), false) => self.skip(sz.saturating_mul(len))?,
                    _ => {
                        for _ in 0..len {
                            if let Some(v) = self.value(elem_ty, keep_values, depth + 1)? {
                                values.push(v);
                            }
                        }
                    }
                }
                MetaValue::Array {
                    elem: value_type_name(elem_ty),
                    len,
                    values,
                }
            }
            10 => MetaValue::UInt(self.u64()?),
            11 => MetaValue::Int(self.u64()? as i64),
            12 => MetaValue::Float(f64::from_le_bytes(self.bytes()?)),
            other => return Err(format!("unknown metadata value type {other}")),
        };
        Ok(Some(v))
    }

    fn header(&mut self) -> R<GgufHeader> {
        let magic = self.bytes::<4>()?;
        if &magic != b"GGUF" {
            return Err(format!(
                "bad magic {:?} (expected \"GGUF\")",
                String::from_utf8_lossy(&magic)
            ));
        }
        let version = self.u32()?;
        if !(2..=3).contains(&version) {
            return Err(format!(
                "unsupported GGUF version {version} (2 and 3 are supported)"
            ));
        }
        let n_tensors = self.u64()?;
        let n_kv = self.u64()?;
        if n_tensors > MAX_TENSORS || n_kv > MAX_KV {
            return Err(format!(
                "implausible counts: {n_tensors} tensors, {n_kv} metadata entries"
            ));
        }
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = self.string(true)?.unwrap_or_default();
            let ty = self.u32()?;
            if let Some(v) = self.value(ty, true, 0)? {
                metadata.insert(key, v);
            }
        }
        let mut tensors = Vec::with_capacity(n_tensors.min(4096) as usize);
        for _ in 0..n_tensors {
            let name = self.string(true)?.unwrap_or_default();
            let n_dims = self.u32()?;
            if n_dims > MAX_DIMS {
                return Err(format!("tensor {name}: {n_dims} dimensions"));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(self.u64()?);
            }
            let ggml_type = self.u32()?;
            let _offset = self.u64()?;
            tensors.push(TensorInfo {
                name,
                dims,
                ggml_type,
            });
        }
        Ok(GgufHeader {
            version,
            metadata,
            tensors,
        })
    }
}

fn value_type_name(t: u32) -> &'static str {
    match t {
        0 => "u8",
        1 => "i8",
        2 => "u16",
        3 => "i16",
        4 => "u32",
        5 => "i32",
        6 => "f32",
        7 => "bool",
        8 => "string",
        9 => "array",
        10 => "u64",
        11 => "i64",
        12 => "f64",
        _ => "unknown",
    }
}

/// How candle's CPU backend runs a tensor type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Float types and quantizations with SIMD kernels in candle or pyward (Q4_0, Q4_1, Q5_0,
    /// Q8_0, K-quants; pyward's Q4_1 and Q5_0 kernels need AVX2 on x86-64).
    Fast,
    /// Supported with scalar CPU kernels only (Q5_1, Q8_1).
    SlowScalar,
    /// Not supported by candle (IQ*, TQ*, MXFP4, integer tensors): the file cannot be loaded.
    Unsupported,
}

/// Name and candle support of a ggml tensor type id.
pub fn ggml_type(id: u32) -> (&'static str, Support) {
    use Support::*;
    match id {
        0 => ("F32", Fast),
        1 => ("F16", Fast),
        2 => ("Q4_0", Fast),
        3 => ("Q4_1", Fast),
        6 => ("Q5_0", Fast),
        7 => ("Q5_1", SlowScalar),
        8 => ("Q8_0", Fast),
        9 => ("Q8_1", SlowScalar),
        10 => ("Q2_K", Fast),
        11 => ("Q3_K", Fast),
        12 => ("Q4_K", Fast),
        13 => ("Q5_K", Fast),
        14 => ("Q6_K", Fast),
        15 => ("Q8_K", Fast),
        16 => ("IQ2_XXS", Unsupported),
        17 => ("IQ2_XS", Unsupported),
        18 => ("IQ3_XXS", Unsupported),
        19 => ("IQ1_S", Unsupported),
        20 => ("IQ4_NL", Unsupported),
        21 => ("IQ3_S", Unsupported),
        22 => ("IQ2_S", Unsupported),
        23 => ("IQ4_XS", Unsupported),
        24 => ("I8", Unsupported),
        25 => ("I16", Unsupported),
        26 => ("I32", Unsupported),
        27 => ("I64", Unsupported),
        28 => ("F64", Unsupported),
        29 => ("IQ1_M", Unsupported),
        30 => ("BF16", Fast),
        34 => ("TQ1_0", Unsupported),
        35 => ("TQ2_0", Unsupported),
        39 => ("MXFP4", Unsupported),
        _ => ("unknown", Unsupported),
    }
}

/// Name of a `general.file_type` (llama.cpp's `llama_ftype`).
pub fn file_type_name(id: u64) -> Option<&'static str> {
    Some(match id {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        _ => return None,
    })
}

/// Writes a GGUF file with the given metadata and tensor descriptors (tensor data is zeros).
/// For tests of `info` and of the reader; not a general writer.
#[cfg(test)]
pub(crate) fn write_test_gguf(
    path: &Path,
    metadata: &[(&str, MetaValue)],
    tensors: &[(&str, &[u64], u32)],
) -> std::io::Result<()> {
    fn s(out: &mut Vec<u8>, v: &str) {
        out.extend_from_slice(&(v.len() as u64).to_le_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    fn val(out: &mut Vec<u8>, v: &MetaValue) {
        match v {
            MetaValue::UInt(x) => {
                out.extend_from_slice(&10u32.to_le_bytes());
                out.extend_from_slice(&x.to_le_bytes());
            }
            MetaValue::Int(x) => {
                out.extend_from_slice(&11u32.to_le_bytes());
                out.extend_from_slice(&x.to_le_bytes());
            }
            MetaValue::Float(x) => {
                out.extend_from_slice(&12u32.to_le_bytes());
                out.extend_from_slice(&x.to_le_bytes());
            }
            MetaValue::Bool(b) => {
                out.extend_from_slice(&7u32.to_le_bytes());
                out.push(*b as u8);
            }
            MetaValue::Str(x) => {
                out.extend_from_slice(&8u32.to_le_bytes());
                s(out, x);
            }
            MetaValue::Array { values, .. } => {
                // Arrays of strings only (enough for a vocabulary).
                out.extend_from_slice(&9u32.to_le_bytes());
                out.extend_from_slice(&8u32.to_le_bytes());
                out.extend_from_slice(&(values.len() as u64).to_le_bytes());
                for v in values {
                    s(out, v.as_str().unwrap_or(""));
                }
            }
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (k, v) in metadata {
        s(&mut out, k);
        val(&mut out, v);
    }
    for (name, dims, ty) in tensors {
        s(&mut out, name);
        out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in *dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
    }
    out.resize(out.len().div_ceil(32) * 32 + 32, 0);
    std::fs::write(path, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_what_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.gguf");
        let vocab: Vec<MetaValue> = (0..100).map(|i| MetaValue::Str(format!("t{i}"))).collect();
        write_test_gguf(
            &p,
            &[
                ("general.architecture", MetaValue::Str("llama".into())),
                ("llama.context_length", MetaValue::UInt(2048)),
                (
                    "tokenizer.ggml.tokens",
                    MetaValue::Array {
                        elem: "string",
                        len: 100,
                        values: vocab,
                    },
                ),
            ],
            &[("a", &[4, 8], 8), ("b", &[4], 0)],
        )
        .unwrap();
        let h = GgufHeader::read(&p).unwrap();
        assert_eq!(h.version, 3);
        assert_eq!(h.get_str("general.architecture"), Some("llama"));
        assert_eq!(h.get_u64("llama.context_length"), Some(2048));
        assert_eq!(
            h.get("tokenizer.ggml.tokens")
                .and_then(MetaValue::array_len),
            Some(100)
        );
        assert_eq!(h.tensors.len(), 2);
        assert_eq!(h.tensors[0].elements(), 32);
        assert_eq!(ggml_type(h.tensors[0].ggml_type).0, "Q8_0");
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gguf");
        std::fs::write(&p, b"PK\x03\x04 not gguf").unwrap();
        let e = GgufHeader::read(&p).unwrap_err().to_string();
        assert!(e.contains("bad magic"), "{e}");
        // A header claiming a 1 TB string.
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&(1u64 << 40).to_le_bytes());
        std::fs::write(&p, &b).unwrap();
        let e = GgufHeader::read(&p).unwrap_err().to_string();
        assert!(e.contains("implausible"), "{e}");
        std::fs::write(&p, &b[..10]).unwrap();
        let e = GgufHeader::read(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }
}
