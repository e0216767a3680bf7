//! Compute device selection (`--device cpu|cuda|cuda:N`) and CPU thread count (`--threads N`).
//!
//! Threads. candle sizes its CPU thread pools once, from the environment, the first time it runs
//! an operation:
//! - the quantized-matmul pool (the one that matters for GGUF models) uses `CANDLE_NUM_THREADS`,
//!   else `RAYON_NUM_THREADS`, else the number of physical cores;
//! - its other CPU kernels use `RAYON_NUM_THREADS`, else the number of physical cores.
//!
//! `--threads N` sets both variables to N for this process, so it must be applied before the first
//! tensor operation: [`configure_threads`] is called by `main` right after argument parsing, while
//! the process is still single-threaded. `RAYON_NUM_THREADS` also sizes rayon's global pool, which
//! the static scan uses, so `--threads` bounds the whole process. Without the flag nothing is
//! changed and the defaults above apply. On a shared or busy machine, fewer threads than cores is
//! often faster: candle's pool spins while waiting, and a preempted worker stalls every matmul.

use std::fmt;
use std::str::FromStr;

/// Which device to run the model on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSpec {
    #[default]
    Cpu,
    /// A CUDA GPU by ordinal (`cuda` = `cuda:0`).
    Cuda(usize),
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Cpu => f.write_str("cpu"),
            DeviceSpec::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "cpu" => Ok(DeviceSpec::Cpu),
            "cuda" | "gpu" => Ok(DeviceSpec::Cuda(0)),
            _ => t
                .strip_prefix("cuda:")
                .and_then(|n| n.parse::<usize>().ok())
                .map(DeviceSpec::Cuda)
                .ok_or_else(|| DeviceError::Parse(s.to_string())),
        }
    }
}

impl DeviceSpec {
    /// Whether this is a GPU.
    pub fn is_gpu(&self) -> bool {
        matches!(self, DeviceSpec::Cuda(_))
    }
}

/// Why a device could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("invalid device `{0}`: expected `cpu`, `cuda` or `cuda:N`")]
    Parse(String),
    #[error(
        "device {spec}: this pyward binary was built without CUDA support; rebuild it with \
         `cargo build --release --features cuda` (scripts/build-cuda.sh sets up the toolchain) or use --device cpu"
    )]
    CudaNotBuilt { spec: DeviceSpec },
    #[error("device {spec}: no usable CUDA GPU ({message}); check the NVIDIA driver (`nvidia-smi`) or use --device cpu")]
    CudaUnavailable { spec: DeviceSpec, message: String },
    #[error("--threads {0}: must be between 1 and 1024")]
    Threads(usize),
}

/// Whether this binary was built with the `cuda` feature.
pub fn cuda_built() -> bool {
    candle_core::utils::cuda_is_available()
}

/// Opens the device. Errors are typed: not built with CUDA, or no usable GPU.
pub fn open(spec: DeviceSpec) -> Result<candle_core::Device, DeviceError> {
    match spec {
        DeviceSpec::Cpu => Ok(candle_core::Device::Cpu),
        DeviceSpec::Cuda(ordinal) => {
            if !cuda_built() {
                return Err(DeviceError::CudaNotBuilt { spec });
            }
            open_cuda(spec, ordinal)
        }
    }
}

#[cfg(feature = "cuda")]
fn open_cuda(spec: DeviceSpec, ordinal: usize) -> Result<candle_core::Device, DeviceError> {
    // cudarc loads libcuda dynamically and panics when the driver library is absent; turn that
    // panic into an error (the default hook is silenced meanwhile so no backtrace is printed).
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| candle_core::Device::new_cuda(ordinal));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(dev)) => Ok(dev),
        // candle appends a captured backtrace to the message: keep the first line.
        Ok(Err(e)) => Err(DeviceError::CudaUnavailable {
            spec,
            message: e
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        }),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the CUDA driver library could not be loaded".to_string());
            Err(DeviceError::CudaUnavailable { spec, message })
        }
    }
}

#[cfg(not(feature = "cuda"))]
fn open_cuda(spec: DeviceSpec, _ordinal: usize) -> Result<candle_core::Device, DeviceError> {
    Err(DeviceError::CudaNotBuilt { spec })
}

/// Where the effective thread count comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadSource {
    /// `--threads N`.
    Flag,
    /// `CANDLE_NUM_THREADS`.
    CandleEnv,
    /// `RAYON_NUM_THREADS`.
    RayonEnv,
    /// Physical cores (candle's default).
    PhysicalCores,
}

/// The CPU thread count candle's quantized matmul will use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadSettings {
    pub threads: usize,
    pub source: ThreadSource,
}

/// Applies `--threads` (when given) by setting `CANDLE_NUM_THREADS` and `RAYON_NUM_THREADS`, and
/// reports the effective count. Call it before any candle operation and before other threads
/// exist (changing the environment of a multi-threaded process is unsound on some platforms).
pub fn configure_threads(flag: Option<usize>) -> Result<ThreadSettings, DeviceError> {
    if let Some(n) = flag {
        if !(1..=1024).contains(&n) {
            return Err(DeviceError::Threads(n));
        }
        let v = n.to_string();
        std::env::set_var("CANDLE_NUM_THREADS", &v);
        std::env::set_var("RAYON_NUM_THREADS", &v);
        return Ok(ThreadSettings {
            threads: n,
            source: ThreadSource::Flag,
        });
    }
    Ok(effective_threads(|k| std::env::var(k).ok()))
}

/// The thread count candle would pick from these environment values (no flag).
pub fn effective_threads(get: impl Fn(&str) -> Option<String>) -> ThreadSettings {
    let parse = |k: &str| {
        get(k)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    if let Some(n) = parse("CANDLE_NUM_THREADS") {
        ThreadSettings {
            threads: n,
            source: ThreadSource::CandleEnv,
        }
    } else if let Some(n) = parse("RAYON_NUM_THREADS") {
        ThreadSettings {
            threads: n,
            source: ThreadSource::RayonEnv,
        }
    } else {
        ThreadSettings {
            threads: num_cpus::get_physical().max(1),
            source: ThreadSource::PhysicalCores,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_devices() {
        assert_eq!("cpu".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cpu);
        assert_eq!("CUDA".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(0));
        assert_eq!("cuda:3".parse::<DeviceSpec>().unwrap(), DeviceSpec::Cuda(3));
        for bad in ["", "cuda:", "cuda:x", "metal", "cuda:-1", "tpu"] {
            let e = bad.parse::<DeviceSpec>().unwrap_err();
            assert_eq!(e, DeviceError::Parse(bad.to_string()));
            assert!(e.to_string().contains("expected `cpu`, `cuda` or `cuda:N`"));
        }
        assert_eq!(DeviceSpec::Cuda(2).to_string(), "cuda:2");
    }

    #[test]
    fn cpu_opens_and_cuda_errors_are_typed() {
        assert!(matches!(
            open(DeviceSpec::Cpu),
            Ok(candle_core::Device::Cpu)
        ));
        if !cuda_built() {
            let e = open(DeviceSpec::Cuda(0)).unwrap_err();
            assert_eq!(
                e,
                DeviceError::CudaNotBuilt {
                    spec: DeviceSpec::Cuda(0)
                }
            );
            assert!(e.to_string().contains("--features cuda"));
        } else if let Err(e) = open(DeviceSpec::Cuda(0)) {
            // Built with CUDA on a machine without a GPU: a typed error, not a panic.
            assert!(matches!(e, DeviceError::CudaUnavailable { .. }), "{e}");
        }
    }

    #[test]
    fn thread_precedence() {
        let t = effective_threads(|k| match k {
            "CANDLE_NUM_THREADS" => Some("3".into()),
            "RAYON_NUM_THREADS" => Some("5".into()),
            _ => None,
        });
        assert_eq!(
            t,
            ThreadSettings {
                threads: 3,
                source: ThreadSource::CandleEnv
            }
        );
        let t = effective_threads(|k| (k == "RAYON_NUM_THREADS").then(|| "5".into()));
        assert_eq!(
            t,
            ThreadSettings {
                threads: 5,
                source: ThreadSource::RayonEnv
            }
        );
        let t = effective_threads(|k| (k == "CANDLE_NUM_THREADS").then(|| "0".into()));
        assert_eq!(t.source, ThreadSource::PhysicalCores);
        assert!(t.threads >= 1);
        assert_eq!(configure_threads(Some(0)), Err(DeviceError::Threads(0)));
    }
}
