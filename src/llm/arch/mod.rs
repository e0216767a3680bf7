//! pyward's own implementations of the decoder-only model families it runs, chosen by the GGUF
//! `general.architecture` key. They share one [`transformer::Transformer`] and differ in how
//! their weights and hyper-parameters are read ([`llama`], [`qwen2`], [`qwen3`], [`gemma3`]).

pub mod common;
pub(crate) mod decode;
pub mod gemma3;
mod host_attention;
pub(crate) mod hparams;
pub mod kv_cache;
pub(crate) mod llama;
pub(crate) mod qwen2;
pub(crate) mod qwen3;
pub mod transformer;

use crate::llm::kernels::QLinear;
use crate::llm::model::ModelError;
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use common::RmsNorm;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Architectures (`general.architecture` values) pyward implements.
pub const SUPPORTED_ARCHITECTURES: &[&str] = &["llama", "qwen2", "qwen3", "gemma3"];

/// Whether slow-kernel quantization formats are converted to Q8_0 when loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Requantize {
    /// Convert Q5_0, Q5_1 and Q8_1 weights (scalar CPU kernels in candle) to Q8_0.
    #[default]
    Auto,
    /// Keep every tensor in the file's format.
    Never,
}

/// Quantization types that run on scalar CPU kernels (5-10x slower than Q8_0): Q5_1 and Q8_1,
/// and Q5_0 on a CPU without AVX2.
///
/// Q4_1 is not one of them: candle's kernel for it is scalar, but pyward's decode and prefill
/// kernels read it with AVX2 ([`crate::llm::kernels::gemv`]), faster than the same weights
/// requantized to Q8_0 (half the bytes per token) and without the load-time conversion. Q5_0 has
/// pyward kernels too (AVX2 and AVX-512 VNNI decode, AVX2 unpacking for prefill), and keeping it
/// reads 9% fewer bytes per token than converting it. Gemma-3-270M Q4_K_M (81 Q5_0 tensors),
/// decode at depth 512, alternating runs in one session:
/// - Intel Xeon (Sapphire Rapids class, AVX-512 VNNI), 3 runs each: kept 37.1 against converted
///   33.7 tok/s on one thread, 62.9 against 58.4 on two; prefill equal or faster kept;
/// - AMD EPYC (Zen 4), one thread, 6 runs each: kept 99.6 against converted 100.7, equal within
///   noise (270 against 246 MB of weights per token).
///
/// Kept, it also loads faster and takes less memory.
pub fn has_slow_cpu_kernel(dtype: GgmlDType) -> bool {
    match dtype {
        GgmlDType::Q5_1 | GgmlDType::Q8_1 => true,
        GgmlDType::Q5_0 => {
            crate::llm::kernels::gemv_k::simd_level() < crate::llm::kernels::gemv_k::SimdLevel::Avx2
        }
        _ => false,
    }
}

/// Reads weights and metadata of one GGUF file, mapping every failure to a typed error.
pub struct GgufSource<'a> {
    path: PathBuf,
    content: &'a Content,
    file: File,
    device: Device,
    requantize: Requantize,
    /// Tensors converted to Q8_0 while loading: (name, original type).
    pub requantized: Vec<(String, GgmlDType)>,
}

impl<'a> GgufSource<'a> {
    /// Wraps an opened, header-validated GGUF file.
    pub fn new(
        path: &Path,
        content: &'a Content,
        file: File,
        device: &Device,
        requantize: Requantize,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            content,
            file,
            device: device.clone(),
            requantize,
            requantized: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn content(&self) -> &Content {
        self.content
    }

    fn missing(&self, key: &str) -> ModelError {
        ModelError::MissingMetadata {
            path: self.path.clone(),
            key: key.to_string(),
        }
    }

    /// A metadata value, if present.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    /// A required unsigned integer metadata value.
    pub fn u32(&self, key: &str) -> Result<usize, ModelError> {
        let v = self.value(key).ok_or_else(|| self.missing(key))?;
        let n = match v {
            Value::U8(x) => *x as u64,
            Value::U16(x) => *x as u64,
            Value::U32(x) => *x as u64,
            Value::U64(x) => *x,
            Value::I8(x) if *x >= 0 => *x as u64,
            Value::I16(x) if *x >= 0 => *x as u64,
            Value::I32(x) if *x >= 0 => *x as u64,
            Value::I64(x) if *x >= 0 => *x as u64,
            _ => return Err(self.missing(key)),
        };
        usize::try_from(n).map_err(|_| self.missing(key))
    }

    /// An optional unsigned integer metadata value (`Ok(None)` when absent).
    pub fn u32_opt(&self, key: &str) -> Result<Option<usize>, ModelError> {
        match self.value(key) {
            None => Ok(None),
            Some(_) => self.u32(key).map(Some),
        }
    }

    /// A required float metadata value.
    pub fn f32(&self, key: &str) -> Result<f32, ModelError> {
        match self.value(key).ok_or_else(|| self.missing(key))? {
            Value::F32(x) => Ok(*x),
            Value::F64(x) => Ok(*x as f32),
            _ => Err(self.missing(key)),
        }
    }

    /// A float metadata value or `default` when absent.
    pub fn f32_or(&self, key: &str, default: f32) -> Result<f32, ModelError> {
        match self.value(key) {
            None => Ok(default),
            Some(_) => self.f32(key),
        }
    }

    /// Whether the file holds a tensor called `name`.
    pub fn has_tensor(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    fn tensor_err(&self, name: &str, reason: impl Into<String>) -> ModelError {
        ModelError::MissingTensor {
            path: self.path.clone(),
            name: name.to_string(),
            reason: reason.into(),
        }
    }

    /// Reads tensor `name` as stored, checking its shape against `dims` (candle order: rows first).
    pub fn qtensor(&mut self, name: &str, dims: &[usize]) -> Result<QTensor, ModelError> {
        if !self.has_tensor(name) {
            return Err(self.tensor_err(name, "not in the file"));
        }
        let t = self
            .content
            .tensor(&mut self.file, name, &self.device)
            .map_err(|e| {
                ModelError::from_candle_on(e, &self.device, &format!("loading tensor `{name}`"))
            })?;
        if t.shape().dims() != dims {
            return Err(self.tensor_err(
                name,
                format!("shape {:?}, expected {:?}", t.shape().dims(), dims),
            ));
        }
        Ok(t)
    }

    /// Whether [`GgufSource::maybe_requantize`] would convert `t`.
    pub fn would_requantize(&self, t: &QTensor) -> bool {
        let cols = t.shape().dims().last().copied().unwrap_or(0);
        self.requantize == Requantize::Auto
            && self.device.is_cpu()
            && has_slow_cpu_kernel(t.dtype())
            && cols % GgmlDType::Q8_0.block_size() == 0
    }

    /// Converts `t` to Q8_0 when requantization is on and its format has a slow CPU kernel.
    pub fn maybe_requantize(&mut self, name: &str, t: QTensor) -> Result<QTensor, ModelError> {
        let dtype = t.dtype();
        if self.would_requantize(&t) {
            let f = t.dequantize(&self.device)?;
            let q = QTensor::quantize(&f, GgmlDType::Q8_0)?;
            self.requantized.push((name.to_string(), dtype));
            return Ok(q);
        }
        Ok(t)
    }

    /// A linear layer from weight `name` of shape `(out, inp)`.
    pub fn linear(&mut self, name: &str, out: usize, inp: usize) -> Result<QLinear, ModelError> {
        let t = self.qtensor(name, &[out, inp])?;
        let t = self.maybe_requantize(name, t)?;
        Ok(QLinear::new(Arc::new(t), None)?)
    }

    /// A linear layer with an f32 bias `bias` of shape `(out,)`.
    pub fn linear_bias(
        &mut self,
        name: &str,
        bias: &str,
        out: usize,
        inp: usize,
    ) -> Result<QLinear, ModelError> {
        let t = self.qtensor(name, &[out, inp])?;
        let t = self.maybe_requantize(name, t)?;
        let b = self
            .qtensor(bias, &[out])?
            .dequantize(&self.device)?
            .to_dtype(DType::F32)?;
        Ok(QLinear::new(Arc::new(t), Some(b))?)
    }

    /// An RMS norm from weight `name` of shape `(dim,)`.
    pub fn norm(&mut self, name: &str, dim: usize, eps: f64) -> Result<RmsNorm, ModelError> {
        let t = self.qtensor(name, &[dim])?;
        Ok(RmsNorm::from_qtensor(&t, eps)?)
    }

    /// Dequantizes a small tensor to f32.
    pub fn f32_tensor(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, ModelError> {
        let t = self.qtensor(name, dims)?;
        Ok(t.dequantize(&self.device)?.to_dtype(DType::F32)?)
    }

    /// The shape of tensor `name` in the file (candle order), if present.
    pub fn tensor_dims(&self, name: &str) -> Option<Vec<usize>> {
        self.content
            .tensor_infos
            .get(name)
            .map(|i| i.shape.dims().to_vec())
    }
}
