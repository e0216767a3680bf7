//! CPU compute kernels and the [`QLinear`] layer every architecture uses for its projections.
//!
//! Decode (one activation row) runs on candle's quantized vec-dot kernels, the fastest choice
//! for a single row. Prompt processing (many rows) runs on [`dequant_gemm`], which dequantizes
//! tiles of weight rows once and multiplies them against every prompt row with an f32 GEMM.

pub mod dequant_gemm;
mod threads;

pub use threads::{set_threads, threads, ThreadsError};

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Module, Result, Tensor};
use std::sync::Arc;

/// The smallest number of activation rows that takes the prefill kernel by default.
pub const DEFAULT_PREFILL_MIN_ROWS: usize = 8;

/// A linear layer `y = x·Wᵀ (+ b)` over a quantized weight of shape `(out, in)`.
#[derive(Debug, Clone)]
pub struct QLinear {
    weight: Arc<QTensor>,
    matmul: QMatMul,
    bias: Option<Tensor>,
    out_features: usize,
    in_features: usize,
    /// Inputs with at least this many rows use the prefill kernel (`usize::MAX`: never).
    prefill_min_rows: usize,
}

impl QLinear {
    /// Wraps a quantized `(out, in)` weight and an optional `(out,)` f32 bias.
    pub fn new(weight: Arc<QTensor>, bias: Option<Tensor>) -> Result<Self> {
        let (out_features, in_features) = weight.shape().dims2()?;
        if let Some(b) = &bias {
            if b.dims1()? != out_features {
                candle_core::bail!("bias has {} elements, weight has {out_features} rows", b.dims1()?)
            }
        }
        let matmul = QMatMul::from_arc(weight.clone())?;
        Ok(Self { weight, matmul, bias, out_features, in_features, prefill_min_rows: DEFAULT_PREFILL_MIN_ROWS })
    }

    /// Inputs with at least `rows` rows take the batched prefill kernel; `None` turns the
    /// kernel off (everything runs on candle's quantized matmul).
    pub fn set_prefill_min_rows(&mut self, rows: Option<usize>) {
        self.prefill_min_rows = rows.map_or(usize::MAX, |r| r.max(2));
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
        let y = if rows >= self.prefill_min_rows
            && x.device().is_cpu()
            && dequant_gemm::supports(self.weight.dtype())
            && k == self.in_features
        {
            let x = x.to_dtype(candle_core::DType::F32)?.contiguous()?;
            let lhs = x.flatten_all()?.to_vec1::<f32>()?;
            let mut dst = vec![0f32; rows * self.out_features];
            if dequant_gemm::matmul(&self.weight, &lhs, rows, &mut dst)? {
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

    /// Applies the layer with candle's quantized matmul only (the reference path).
    pub fn forward_reference(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.matmul.forward(x)?;
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}
