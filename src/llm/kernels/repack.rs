//! How much memory candle's repacked int8 weight copies take, and when to allow them.
//!
//! On x86 CPUs with AVX-512 VNNI, candle 0.11 multiplies Q8_0, Q4_K and Q6_K weights through
//! tiles it builds on first use and keeps *beside* the GGUF blocks (which pyward still needs for
//! its own prefill and decode kernels). Per 16 rows of 256 values:
//! - Q4_K: a VNNI tile for every product (3,072 bytes against 2,304 of blocks, 1.33×), plus on
//!   CPUs with AMX an int8 tile for products of 32 rows or more (5,120 bytes, 2.22×);
//! - Q8_0: one VNNI tile of the blocks' size (1.0×);
//! - Q6_K: a tile for multi-row products only (3,072 against 3,360 bytes, 0.91×).
//!
//! One-row Q4_K products now run on pyward's own kernels ([`super::gemv_k`]), so Q4_K's VNNI
//! tile is built only where candle runs multi-row products ([`Repack::Full`]).
//!
//! A Q4_K_M model thus grows to about 4.5× its file on a Sapphire Rapids-class CPU: measured, a
//! 4.3 GB 7B file peaked at 17.3 GB. The prompt tiles no longer pay for their memory: with
//! gemm's AVX-512 microkernels, pyward's dequantize-and-GEMM kernel prefills as fast as the AMX
//! tiles (1.5B Q4_K shape on 2 cores, same run: 41.0 and 41.2 tok/s against 43.4 and 41.9, at
//! 2.2 GB instead of 3.8 GB peak). So on CPUs with AMX only the decode tiles are kept by
//! default, and only when they fit.
//!
//! Without AMX (AMD Zen 4), candle's Q4_K prompt products run on its VNNI tiles, and those beat
//! the f32 GEMM by far: Qwen2.5-Coder-1.5B Q4_K_M shape (random weights), AMD EPYC Zen 4, one
//! thread, prefill of 512 tokens, same run: 112 and 100 tok/s with every tile against 66 with
//! decode tiles only (llama.cpp: 95 and 97), at 2.2 GB peak instead of 1.2 GB. There every copy
//! is kept by default when all of them fit ([`Repack::choose`]).

use candle_core::quantized::GgmlDType;

/// Which of candle's repacked copies a layer may create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Repack {
    /// Every copy candle makes, prompt tiles included (the default without AMX when they fit;
    /// with AMX they no longer prefill faster than pyward's kernel, see the module docs).
    #[default]
    Full,
    /// Only the single-row (decode) tiles; prompts run on pyward's prefill kernel.
    DecodeOnly,
    /// None: pyward's own kernels for everything, the GGUF blocks are the only copy.
    Off,
}

impl Repack {
    /// Bytes candle's copies of one `(n, k)` weight of `dtype`, `bytes` long, take in this mode.
    pub fn extra_bytes(self, dtype: GgmlDType, n: usize, k: usize, bytes: usize) -> usize {
        if self == Repack::Off || !super::candle_has_packed_int8(dtype, n, k) {
            return 0;
        }
        // (numerator, denominator) of the copies' size over the blocks' size.
        let (decode, prompt) = match dtype {
            GgmlDType::Q4K => ((4, 3), if amx_available() { (20, 9) } else { (0, 1) }),
            // One tile set serves single rows and prompts.
            GgmlDType::Q8_0 => ((1, 1), (0, 1)),
            GgmlDType::Q6K => ((0, 1), (3072, 3360)),
            _ => ((0, 1), (0, 1)),
        };
        let part = |(num, den): (usize, usize)| bytes / den * num + bytes % den * num / den;
        match self {
            Repack::Full => part(decode) + part(prompt),
            // Decode tiles are built only for weights whose one-row products candle runs.
            _ if !super::candle_has_packed_gemv(dtype, n, k) => 0,
            _ => part(decode),
        }
    }

    /// The default mode: on CPUs without AMX, [`Repack::Full`] when every copy (`full_extra`
    /// bytes) fits in half of `available` bytes (the rest is left to the key/value cache,
    /// activations and everything else on the machine); else [`Repack::DecodeOnly`] when the
    /// decode tiles do; else [`Repack::Off`].
    pub fn choose(decode_extra: usize, full_extra: usize, available: usize) -> Repack {
        Self::choose_for(amx_available(), decode_extra, full_extra, available)
    }

    fn choose_for(amx: bool, decode_extra: usize, full_extra: usize, available: usize) -> Repack {
        if !amx && full_extra <= available / 2 {
            Repack::Full
        } else if decode_extra <= available / 2 {
            Repack::DecodeOnly
        } else {
            Repack::Off
        }
    }
}

/// Whether the CPU has AMX int8 tiles (candle then builds its Q4_K prompt tiles). Linux
/// reports it in `/proc/cpuinfo`; candle uses AMX only on Linux.
fn amx_available() -> bool {
    use std::sync::OnceLock;
    static AMX: OnceLock<bool> = OnceLock::new();
    *AMX.get_or_init(|| {
        std::fs::read_to_string("/proc/cpuinfo")
            .map(|info| info.split_whitespace().any(|flag| flag == "amx_int8"))
            .unwrap_or(false)
    })
}

/// `MemAvailable` from `/proc/meminfo`, in bytes (`None` off Linux).
pub fn available_memory() -> Option<usize> {
    crate::llm::procfs::kb_field("/proc/meminfo", "MemAvailable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_decode_tiles_only_when_they_fit() {
        const GB: usize = 1 << 30;
        for amx in [false, true] {
            // Every copy (2 GB) does not fit half of the memory: the decode tiles at most.
            assert_eq!(
                Repack::choose_for(amx, GB, 2 * GB, 3 * GB),
                Repack::DecodeOnly
            );
            assert_eq!(
                Repack::choose_for(amx, 6 * GB, 13 * GB, 12 * GB),
                Repack::DecodeOnly
            );
            assert_eq!(
                Repack::choose_for(amx, 6 * GB, 13 * GB, 8 * GB),
                Repack::Off
            );
        }
        // Everything fits: without AMX the prompt tiles are kept too, with AMX they are not.
        assert_eq!(Repack::choose_for(false, GB, 2 * GB, 8 * GB), Repack::Full);
        assert_eq!(
            Repack::choose_for(true, GB, 2 * GB, 8 * GB),
            Repack::DecodeOnly
        );
        assert_eq!(
            Repack::choose_for(true, 0, 0, 0),
            Repack::DecodeOnly,
            "nothing to copy is always allowed"
        );
    }

    #[test]
    fn off_and_unpacked_formats_cost_nothing() {
        assert_eq!(Repack::Off.extra_bytes(GgmlDType::Q4K, 256, 256, 1000), 0);
        assert_eq!(Repack::Full.extra_bytes(GgmlDType::Q4_1, 256, 256, 1000), 0);
        // k not a multiple of 256: candle keeps the plain kernel.
        assert_eq!(Repack::Full.extra_bytes(GgmlDType::Q4K, 256, 576, 1000), 0);
        if super::super::candle_has_packed_int8(GgmlDType::Q4K, 256, 256) {
            let full = Repack::Full.extra_bytes(GgmlDType::Q4K, 256, 256, 9000);
            let decode = Repack::DecodeOnly.extra_bytes(GgmlDType::Q4K, 256, 256, 9000);
            // pyward's own Q4_K decode kernels leave candle's decode tiles unbuilt.
            let own = !super::super::candle_has_packed_gemv(GgmlDType::Q4K, 256, 256);
            assert_eq!(decode, if own { 0 } else { 12000 });
            assert!(full == 12000 || full == 32000, "{full}");
            assert_eq!(
                Repack::DecodeOnly.extra_bytes(GgmlDType::Q6K, 256, 256, 3360),
                0
            );
        }
    }
}
