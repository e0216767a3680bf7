//! Test data shared by the kernels' unit tests.

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

/// An `(n, k)` weight quantized to `dtype`, with rows of different magnitudes and signs, so
/// scales and mins differ per block.
pub(super) fn weight(dtype: GgmlDType, n: usize, k: usize) -> QTensor {
    let vals: Vec<f32> = (0..n * k)
        .map(|i| {
            let r = (i / k) as f32;
            ((i * 7919 % 1000) as f32 / 500.0 - 1.0 + 0.1 * (r % 3.0)) * (0.2 + 0.05 * r)
        })
        .collect();
    let t = Tensor::from_vec(vals, (n, k), &Device::Cpu).unwrap();
    QTensor::quantize(&t, dtype).unwrap()
}
