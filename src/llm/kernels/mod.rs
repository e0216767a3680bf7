//! CPU compute kernels and the [`QLinear`] layer every architecture uses for its projections.
//!
//! Prompt processing (many rows) runs on [`dequant_gemm`], which dequantizes tiles of weight
//! rows once and multiplies them against every prompt row with an f32 GEMM. The fused decode
//! step of the transformer (one row) uses [`gemv`] through [`QLinear::forward_row`]: plain f32
//! slices, no tensors, one activation quantization shared by the weights reading it. Weights
//! candle's repacked int8 kernels take stay on candle's quantized matmul in both cases.

/// Expands to a `match` on a [`GgmlDType`] calling `$go!(BlockType)` for every quantized block
/// type the host kernels read, and evaluating `$other` for the rest.
macro_rules! match_block_type {
    ($dtype:expr, $go:ident, $other:expr) => {{
        use candle_core::quantized::k_quants::{
            BlockQ2K, BlockQ3K, BlockQ4K, BlockQ4_0, BlockQ4_1, BlockQ5K, BlockQ5_0, BlockQ5_1,
            BlockQ6K, BlockQ8K, BlockQ8_0, BlockQ8_1,
        };
        use candle_core::quantized::GgmlDType;
        match $dtype {
            GgmlDType::Q4_0 => $go!(BlockQ4_0),
            GgmlDType::Q4_1 => $go!(BlockQ4_1),
            GgmlDType::Q5_0 => $go!(BlockQ5_0),
            GgmlDType::Q5_1 => $go!(BlockQ5_1),
            GgmlDType::Q8_0 => $go!(BlockQ8_0),
            GgmlDType::Q8_1 => $go!(BlockQ8_1),
            GgmlDType::Q2K => $go!(BlockQ2K),
            GgmlDType::Q3K => $go!(BlockQ3K),
            GgmlDType::Q4K => $go!(BlockQ4K),
            GgmlDType::Q5K => $go!(BlockQ5K),
            GgmlDType::Q6K => $go!(BlockQ6K),
            GgmlDType::Q8K => $go!(BlockQ8K),
            _ => $other,
        }
    }};
}

/// The weight's bytes as `n_blocks` blocks of `T`, when they are exactly that: candle stores a
/// CPU quantized tensor as a `Vec` of the block type named by its dtype.
fn as_blocks<T: candle_core::quantized::k_quants::GgmlType>(
    bytes: &[u8],
    n_blocks: usize,
) -> Option<&[T]> {
    if bytes.len() != n_blocks * std::mem::size_of::<T>()
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
    {
        return None;
    }
    // SAFETY: length and alignment checked above; every bit pattern is a valid block (integers
    // and f16 scales).
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const T, n_blocks) })
}

pub mod dequant_gemm;
pub mod gemv;
pub mod gemv_k;
pub mod int8_gemm;
pub(crate) mod repack;
#[cfg(test)]
mod test_weights;
mod threads;
pub(crate) mod vmath;
#[cfg(target_arch = "x86_64")]
mod x86_int8;
#[cfg(target_arch = "x86_64")]
mod x86_kquant;

pub use repack::Repack;
pub(crate) use threads::for_each_chunk_mut;
pub use threads::{set_threads, threads, ThreadsError};

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Module, Result, Tensor};
use std::sync::Arc;

/// The smallest number of activation rows that takes the prefill kernel by default.
pub const DEFAULT_PREFILL_MIN_ROWS: usize = 8;

/// Whether candle 0.11's x86 repacked int8 (AVX-512 VNNI) matmul takes this weight: it does for
/// Q8_0, Q4_K and Q6_K when `k` is a multiple of 256 and `n` of 16, and then beats an f32 GEMM.
pub fn candle_has_packed_int8(dtype: GgmlDType, n: usize, k: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static VNNI: OnceLock<bool> = OnceLock::new();
        let vnni = *VNNI.get_or_init(|| {
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vnni")
        });
        vnni && matches!(dtype, GgmlDType::Q8_0 | GgmlDType::Q4K | GgmlDType::Q6K)
            && k.is_multiple_of(256)
            && n.is_multiple_of(16)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (dtype, n, k);
        false
    }
}

/// Whether one-row products with this weight go to candle's repacked int8 kernel rather than
/// [`gemv`]: only Q8_0 ones now. candle keeps Q6_K on its plain kernel for single rows, and
/// pyward's Q4_K kernels ([`gemv_k`]) beat candle's repacked one on an AMD EPYC (Zen 4, one
/// thread, Gemma-3-270M decode: 109 against 101 tok/s, same run), so Q4_K takes them unless
/// `PYWARD_SIMD=scalar` turns them off.
pub fn candle_has_packed_gemv(dtype: GgmlDType, n: usize, k: usize) -> bool {
    let own = matches!(dtype, GgmlDType::Q4K | GgmlDType::Q6K)
        && gemv_k::simd_level() >= gemv_k::SimdLevel::Avx2;
    dtype != GgmlDType::Q6K && !own && candle_has_packed_int8(dtype, n, k)
}

/// A linear layer `y = x·Wᵀ (+ b)` over a quantized weight of shape `(out, in)`.
#[derive(Debug, Clone)]
pub struct QLinear {
    weight: Arc<QTensor>,
    matmul: QMatMul,
    bias: Option<Tensor>,
    /// The bias copied to host memory, for [`QLinear::forward_row`].
    bias_host: Option<Vec<f32>>,
    out_features: usize,
    in_features: usize,
    /// Inputs with at least this many rows use the prefill kernel (`usize::MAX`: never).
    prefill_min_rows: usize,
    /// [`QLinear::forward_row`] runs [`gemv`] (else candle's matmul on a one-row tensor).
    row_gemv: bool,
    /// Which of candle's repacked weight copies this layer may create.
    repack: Repack,
}

impl QLinear {
    /// Wraps a quantized `(out, in)` weight and an optional `(out,)` f32 bias.
    pub fn new(weight: Arc<QTensor>, bias: Option<Tensor>) -> Result<Self> {
        let (out_features, in_features) = weight.shape().dims2()?;
        if let Some(b) = &bias {
            if b.dims1()? != out_features {
                candle_core::bail!(
                    "bias has {} elements, weight has {out_features} rows",
                    b.dims1()?
                )
            }
        }
        let matmul = QMatMul::from_arc(weight.clone())?;
        let bias_host = match &bias {
            Some(b) => Some(b.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?),
            None => None,
        };
        Ok(Self {
            weight,
            matmul,
            bias,
            bias_host,
            out_features,
            in_features,
            prefill_min_rows: DEFAULT_PREFILL_MIN_ROWS,
            row_gemv: true,
            repack: Repack::Full,
        })
    }

    /// Inputs with at least `rows` rows take the batched prefill kernel; `None` turns the
    /// kernel off (everything runs on candle's quantized matmul).
    pub fn set_prefill_min_rows(&mut self, rows: Option<usize>) {
        self.prefill_min_rows = rows.map_or(usize::MAX, |r| r.max(2));
    }

    /// Whether [`QLinear::forward_row`] uses pyward's [`gemv`] kernels (the default) or
    /// candle's quantized matmul, which is what the tensor path computes.
    pub fn set_row_gemv(&mut self, on: bool) {
        self.row_gemv = on;
    }

    /// Limits candle's repacked copies of the weight (see [`repack`]): short of
    /// [`Repack::Full`], products that candle would run on tiles it has not been allowed to keep
    /// take pyward's kernels instead.
    pub fn set_repack(&mut self, mode: Repack) {
        self.repack = mode;
    }

    /// Bytes candle's repacked copies of this weight take under `mode`.
    pub fn repack_bytes(&self, mode: Repack) -> usize {
        let bytes = self.weight.storage_size_in_bytes();
        mode.extra_bytes(
            self.weight.dtype(),
            self.out_features,
            self.in_features,
            bytes,
        )
    }

    /// The quantized weight.
    pub fn weight(&self) -> &Arc<QTensor> {
        &self.weight
    }

    /// The quantization type of the weight.
    pub fn dtype(&self) -> GgmlDType {
        self.weight.dtype()
    }

    pub fn out_features(&self) -> usize {
        self.out_features
    }

    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Applies the layer to `x` of shape `(rows, in)`, returning `(rows, out)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (rows, k) = x.dims2()?;
        let packs = candle_has_packed_int8(self.weight.dtype(), self.out_features, k);
        // Any multi-row product on candle would build prompt tiles: keep those weights on the
        // prefill kernel unless the user turned it off.
        let min_rows = match (packs, self.repack) {
            (true, Repack::DecodeOnly | Repack::Off) if self.prefill_min_rows != usize::MAX => 2,
            _ => self.prefill_min_rows,
        };
        let y = if rows >= min_rows
            && x.device().is_cpu()
            && dequant_gemm::supports(self.weight.dtype())
            && (!packs || self.repack != Repack::Full)
            && k == self.in_features
        {
            let x = x.to_dtype(candle_core::DType::F32)?.contiguous()?;
            let lhs = x.flatten_all()?.to_vec1::<f32>()?;
            let mut dst = vec![0f32; rows * self.out_features];
            if self.int8_prefill(&lhs, rows, &mut dst)?
                || dequant_gemm::matmul(&self.weight, &lhs, rows, &mut dst)?
            {
                Tensor::from_vec(dst, (rows, self.out_features), x.device())?
            } else {
                self.matmul.forward(&x)?
            }
        } else {
            self.matmul.forward(x)?
        };
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }

    /// The prompt product on [`int8_gemm`] where it reads the weight on this CPU.
    fn int8_prefill(&self, lhs: &[f32], rows: usize, dst: &mut [f32]) -> Result<bool> {
        let (dtype, n, k) = (self.weight.dtype(), self.out_features, self.in_features);
        if !int8_gemm::supports(dtype, n, k) || !self.weight.device().is_cpu() {
            return Ok(false);
        }
        let data = self.weight.data()?;
        Ok(int8_gemm::matmul(dtype, &data, lhs, rows, k, n, dst))
    }

    /// Applies the layer to one activation row in host memory, writing `out_features` values
    /// to `dst`. Weights candle's repacked int8 kernel takes, and formats [`gemv`] does not
    /// read (f16/f32), go through candle's matmul on a one-row tensor.
    pub fn forward_row(&self, x: &mut gemv::ActRow, dst: &mut [f32]) -> Result<()> {
        if x.values().len() != self.in_features || dst.len() != self.out_features {
            candle_core::bail!(
                "linear ({} -> {}): got {} inputs and room for {} outputs",
                self.in_features,
                self.out_features,
                x.values().len(),
                dst.len()
            )
        }
        let packed = self.repack != Repack::Off
            && candle_has_packed_gemv(self.weight.dtype(), self.out_features, self.in_features);
        if !self.row_gemv || packed || !gemv::gemv(&self.weight, x, dst)? {
            let t =
                Tensor::from_slice(x.values(), (1, self.in_features), &candle_core::Device::Cpu)?;
            let y = self
                .matmul
                .forward(&t)?
                .flatten_all()?
                .to_dtype(candle_core::DType::F32)?
                .to_vec1::<f32>()?;
            dst.copy_from_slice(&y);
        }
        if let Some(b) = &self.bias_host {
            dst.iter_mut().zip(b).for_each(|(d, b)| *d += b);
        }
        Ok(())
    }

    /// Applies the layer with candle's quantized matmul only (the reference path).
    pub fn forward_reference(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.matmul.forward(x)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}
