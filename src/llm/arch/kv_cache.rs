//! One layer's key/value cache.
//!
//! On the CPU the keys and values live in host vectors, position-major (`(pos, kv_heads,
//! head_dim)`), which the fused decode step appends to and its attention reads directly. They
//! are stored as f16 by default ([`KvPrecision`]), as llama.cpp does: at depth, reading the
//! cache is a large part of a decoded token's memory traffic (SmolLM2-135M at depth 512 reads
//! 23.6 MB of f32 keys and values per token beside 96 MB of weights), and half-precision halves
//! it. On other devices they live in device buffers of shape `(1, kv_heads, capacity, head_dim)`
//! grown by doubling, in the model's dtype.

use candle_core::{DType, Result, Tensor};
use half::f16;

/// How a host cache stores keys and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvPrecision {
    /// IEEE half precision (11 significant bits): half the memory and bandwidth of f32.
    #[default]
    F16,
    /// Single precision: what candle's reference models keep, for exact comparisons.
    F32,
}

impl std::str::FromStr for KvPrecision {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "f16" => Ok(Self::F16),
            "f32" => Ok(Self::F32),
            other => Err(format!(
                "unknown key/value cache precision `{other}` (expected f16 or f32)"
            )),
        }
    }
}

/// A value type a host cache can hold.
pub trait KvElem: Copy + Send + Sync + 'static {
    fn from_f32(x: f32) -> Self;
    fn to_f32(self) -> f32;
}

impl KvElem for f32 {
    #[inline]
    fn from_f32(x: f32) -> Self {
        x
    }
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
}

impl KvElem for f16 {
    #[inline]
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    #[inline]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
}

/// One layer's key/value cache; positions `0..len` are valid.
#[derive(Debug, Default)]
pub struct KvCache {
    store: KvStore,
    len: usize,
    precision: KvPrecision,
}

#[derive(Debug, Default, Clone)]
enum KvStore {
    #[default]
    Empty,
    Host {
        k: HostBuf,
        v: HostBuf,
        kv_heads: usize,
        head_dim: usize,
    },
    Device {
        k: Tensor,
        v: Tensor,
        cap: usize,
    },
}

/// Host keys or values, in the cache's precision.
#[derive(Debug, Clone)]
enum HostBuf {
    F16(Vec<f16>),
    F32(Vec<f32>),
}

impl HostBuf {
    fn new(precision: KvPrecision) -> Self {
        match precision {
            KvPrecision::F16 => Self::F16(Vec::new()),
            KvPrecision::F32 => Self::F32(Vec::new()),
        }
    }

    fn precision(&self) -> KvPrecision {
        match self {
            Self::F16(_) => KvPrecision::F16,
            Self::F32(_) => KvPrecision::F32,
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Self::F16(b) => b.truncate(n),
            Self::F32(b) => b.truncate(n),
        }
    }

    fn extend(&mut self, x: &[f32]) {
        match self {
            Self::F16(b) => {
                let at = b.len();
                b.resize(at + x.len(), f16::ZERO);
                half::slice::HalfFloatSliceExt::convert_from_f32_slice(&mut b[at..], x);
            }
            Self::F32(b) => b.extend_from_slice(x),
        }
    }

    /// The first `n` values as a tensor of shape `(n / (kv_heads * d), kv_heads, d)`, in f32.
    fn tensor(&self, n: usize, shape: (usize, usize, usize)) -> Result<Tensor> {
        let cpu = &candle_core::Device::Cpu;
        match self {
            Self::F16(b) => Tensor::from_slice(&b[..n], shape, cpu)?.to_dtype(DType::F32),
            Self::F32(b) => Tensor::from_slice(&b[..n], shape, cpu),
        }
    }
}

impl Clone for KvCache {
    /// Deep copy: device buffers are written in place, so clones must not share them.
    fn clone(&self) -> Self {
        let store = match &self.store {
            KvStore::Device { k, v, cap } => match (k.copy(), v.copy()) {
                (Ok(k), Ok(v)) => KvStore::Device { k, v, cap: *cap },
                _ => return Self::with_precision(self.precision),
            },
            other => other.clone(),
        };
        Self {
            store,
            len: self.len,
            precision: self.precision,
        }
    }
}

/// The keys and values of one layer's host cache, position-major, in type `E`.
pub struct HostKvOf<'a, E> {
    pub k: &'a [E],
    pub v: &'a [E],
    pub kv_heads: usize,
    pub head_dim: usize,
    pub len: usize,
}

/// A host cache's keys and values, in whichever precision it stores.
pub enum HostKv<'a> {
    F16(HostKvOf<'a, f16>),
    F32(HostKvOf<'a, f32>),
}

impl KvCache {
    /// An empty cache whose host buffers will store `precision` values.
    pub fn with_precision(precision: KvPrecision) -> Self {
        Self {
            precision,
            ..Self::default()
        }
    }

    /// Number of cached positions.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The precision host buffers store.
    pub fn precision(&self) -> KvPrecision {
        self.precision
    }

    fn grow_device(&mut self, k: &Tensor, need: usize) -> Result<()> {
        let (_, kv_heads, _, d) = k.dims4()?;
        let cap = need.next_power_of_two().max(256);
        let kb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        let vb = Tensor::zeros((1, kv_heads, cap, d), k.dtype(), k.device())?;
        if let KvStore::Device { k: ok, v: ov, .. } = &self.store {
            if self.len > 0 {
                kb.slice_set(&ok.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
                vb.slice_set(&ov.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
            }
        }
        self.store = KvStore::Device { k: kb, v: vb, cap };
        Ok(())
    }

    /// Appends `k`, `v` (`(1, kv_heads, seq, head_dim)`) and returns the whole cache as
    /// `(1, kv_heads, len, head_dim)` tensors. On the CPU they hold the stored values, so with
    /// an f16 cache the prompt attends to the same rounded keys and values as later tokens.
    pub fn append(&mut self, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
        let (_, kv_heads, seq, d) = k.dims4()?;
        let need = self.len + seq;
        if k.device().is_cpu() {
            // (1, kv_heads, seq, d) -> position-major rows.
            let rows = |t: &Tensor| -> Result<Vec<f32>> {
                t.squeeze(0)?
                    .transpose(0, 1)?
                    .contiguous()?
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()
            };
            let (kr, vr) = (rows(k)?, rows(v)?);
            let (kb, vb) = self.host_mut(kv_heads, d)?;
            kb.extend(&kr);
            vb.extend(&vr);
            self.len = need;
            let view = |buf: &HostBuf| -> Result<Tensor> {
                buf.tensor(need * kv_heads * d, (need, kv_heads, d))?
                    .to_dtype(k.dtype())?
                    .transpose(0, 1)?
                    .contiguous()?
                    .unsqueeze(0)
            };
            let KvStore::Host { k: kb, v: vb, .. } = &self.store else {
                candle_core::bail!("key/value cache buffers missing")
            };
            return Ok((view(kb)?, view(vb)?));
        }
        let cap = match &self.store {
            KvStore::Device { cap, .. } => *cap,
            _ => 0,
        };
        if need > cap {
            self.grow_device(k, need)?;
        }
        let KvStore::Device { k: kb, v: vb, .. } = &self.store else {
            candle_core::bail!("key/value cache buffers missing")
        };
        kb.slice_set(&k.contiguous()?, 2, self.len)?;
        vb.slice_set(&v.contiguous()?, 2, self.len)?;
        self.len = need;
        Ok((kb.narrow(2, 0, need)?, vb.narrow(2, 0, need)?))
    }

    /// The host buffers, cut to the valid positions, ready for appending `kv_heads` heads of
    /// `head_dim` values per position. An empty cache takes the layout (and its precision);
    /// otherwise it fails when the cache holds another shape or a device store.
    fn host_mut(
        &mut self,
        kv_heads: usize,
        head_dim: usize,
    ) -> Result<(&mut HostBuf, &mut HostBuf)> {
        let fits = matches!(&self.store, KvStore::Host { k, kv_heads: h, head_dim: d, .. }
            if *h == kv_heads && *d == head_dim && k.precision() == self.precision);
        if self.len == 0 && !fits {
            self.store = KvStore::Host {
                k: HostBuf::new(self.precision),
                v: HostBuf::new(self.precision),
                kv_heads,
                head_dim,
            };
        }
        let len = self.len;
        match &mut self.store {
            KvStore::Host {
                k,
                v,
                kv_heads: h,
                head_dim: d,
            } if *h == kv_heads && *d == head_dim => {
                k.truncate(len * kv_heads * head_dim);
                v.truncate(len * kv_heads * head_dim);
                Ok((k, v))
            }
            _ => candle_core::bail!(
                "key/value cache holds another layout than {kv_heads} heads of {head_dim}"
            ),
        }
    }

    /// Appends one position (`kv_heads * head_dim` values each) to a host cache.
    pub fn push_host(
        &mut self,
        k: &[f32],
        v: &[f32],
        kv_heads: usize,
        head_dim: usize,
    ) -> Result<()> {
        if k.len() != kv_heads * head_dim || v.len() != k.len() {
            candle_core::bail!(
                "key/value row has {} values, expected {}",
                k.len(),
                kv_heads * head_dim
            )
        }
        let (kb, vb) = self.host_mut(kv_heads, head_dim)?;
        kb.extend(k);
        vb.extend(v);
        self.len += 1;
        Ok(())
    }

    /// The host cache, `None` when it lives on a device (or is empty).
    pub fn host(&self) -> Option<HostKv<'_>> {
        let KvStore::Host {
            k,
            v,
            kv_heads,
            head_dim,
        } = &self.store
        else {
            return None;
        };
        let (kv_heads, head_dim, len) = (*kv_heads, *head_dim, self.len);
        let n = len * kv_heads * head_dim;
        Some(match (k, v) {
            (HostBuf::F16(k), HostBuf::F16(v)) => HostKv::F16(HostKvOf {
                k: &k[..n],
                v: &v[..n],
                kv_heads,
                head_dim,
                len,
            }),
            (HostBuf::F32(k), HostBuf::F32(v)) => HostKv::F32(HostKvOf {
                k: &k[..n],
                v: &v[..n],
                kv_heads,
                head_dim,
                len,
            }),
            _ => return None,
        })
    }

    /// Drops positions `len..` (the buffers are kept for reuse).
    pub fn truncate(&mut self, len: usize) -> Result<()> {
        self.len = self.len.min(len);
        Ok(())
    }

    /// Empties the cache and makes later host buffers store `precision` values.
    pub fn reset(&mut self, precision: KvPrecision) {
        *self = Self::with_precision(precision);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn kv(seq: usize, seed: f32) -> Tensor {
        let n = 3 * seq * 8;
        let v: Vec<f32> = (0..n)
            .map(|i| ((i as f32 + seed) * 0.37).sin() * 40.0)
            .collect();
        Tensor::from_vec(v, (1, 3, seq, 8), &Device::Cpu).unwrap()
    }

    fn values(t: &Tensor) -> Vec<f32> {
        t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
    }

    /// A prompt appended in two chunks, or as one, or one position at a time through the decode
    /// step's `push_host`, leaves the same values; f32 keeps them exactly and f16 within half
    /// a unit in the last place (2⁻¹¹ relative).
    #[test]
    fn chunks_positions_and_precisions_store_the_same_values() {
        let (k, v) = (kv(11, 0.0), kv(11, 5.0));
        for precision in [KvPrecision::F32, KvPrecision::F16] {
            let mut whole = KvCache::with_precision(precision);
            let (kw, vw) = whole.append(&k, &v).unwrap();
            let mut parts = KvCache::with_precision(precision);
            parts
                .append(&k.narrow(2, 0, 4).unwrap(), &v.narrow(2, 0, 4).unwrap())
                .unwrap();
            let (kp, vp) = parts
                .append(&k.narrow(2, 4, 7).unwrap(), &v.narrow(2, 4, 7).unwrap())
                .unwrap();
            assert_eq!((values(&kw), values(&vw)), (values(&kp), values(&vp)));
            for (got, want) in values(&kw).iter().zip(values(&k)) {
                let err = (got - want).abs();
                match precision {
                    KvPrecision::F32 => assert_eq!(err, 0.0),
                    KvPrecision::F16 => assert!(err <= want.abs() / 2048.0, "{got} vs {want}"),
                }
            }
            // Position-major rows pushed one at a time equal the appended tensors.
            let rows = |t: &Tensor| -> Vec<f32> {
                values(
                    &t.squeeze(0)
                        .unwrap()
                        .transpose(0, 1)
                        .unwrap()
                        .contiguous()
                        .unwrap(),
                )
            };
            let (kr, vr) = (rows(&k), rows(&v));
            let mut pushed = KvCache::with_precision(precision);
            for (kp, vp) in kr.chunks(24).zip(vr.chunks(24)) {
                pushed.push_host(kp, vp, 3, 8).unwrap();
            }
            let host_values = |c: &KvCache| -> (Vec<f32>, usize) {
                match c.host().unwrap() {
                    HostKv::F16(h) => (h.k.iter().map(|x| x.to_f32()).collect(), h.len),
                    HostKv::F32(h) => (h.k.to_vec(), h.len),
                }
            };
            assert_eq!(host_values(&pushed), host_values(&whole));
            assert_eq!(host_values(&whole).0, rows(&kw));
            assert_eq!(
                matches!(whole.host(), Some(HostKv::F16(_))),
                precision == KvPrecision::F16
            );
        }
    }

    /// Truncating keeps the prefix and a clone is independent of the original.
    #[test]
    fn truncate_and_clone() {
        let mut c = KvCache::default();
        assert_eq!(c.precision(), KvPrecision::F16);
        c.append(&kv(6, 0.0), &kv(6, 1.0)).unwrap();
        let copy = c.clone();
        c.truncate(2).unwrap();
        let (k, _) = c.append(&kv(1, 9.0), &kv(1, 9.0)).unwrap();
        assert_eq!((c.len(), copy.len()), (3, 6));
        let mut fresh = KvCache::default();
        fresh
            .append(
                &kv(6, 0.0).narrow(2, 0, 2).unwrap(),
                &kv(6, 1.0).narrow(2, 0, 2).unwrap(),
            )
            .unwrap();
        let (want, _) = fresh.append(&kv(1, 9.0), &kv(1, 9.0)).unwrap();
        assert_eq!(values(&k), values(&want));
        assert!(push_of_another_shape_fails(&mut c));
        c.reset(KvPrecision::F32);
        assert!(c.is_empty() && c.precision() == KvPrecision::F32);
    }

    fn push_of_another_shape_fails(c: &mut KvCache) -> bool {
        c.push_host(&[0.0; 16], &[0.0; 16], 2, 8).is_err()
    }

    #[test]
    fn precision_parses() {
        assert_eq!("f16".parse(), Ok(KvPrecision::F16));
        assert_eq!("f32".parse(), Ok(KvPrecision::F32));
        assert!("bf16".parse::<KvPrecision>().unwrap_err().contains("bf16"));
    }
}
