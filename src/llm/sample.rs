//! Choosing the next token from logits: greedy (the default, deterministic, ties to the lowest
//! id) or temperature + top-p with a seeded generator, optionally restricted to an allowed set.

/// A small seeded generator (SplitMix64): deterministic for a seed on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Samples token ids from logits.
#[derive(Debug, Clone)]
pub struct Sampler {
    temperature: f32,
    top_p: f32,
    rng: SplitMix64,
}

impl Sampler {
    /// `temperature <= 0` means greedy; `top_p` outside `(0, 1)` means no nucleus cut.
    pub fn new(temperature: f32, top_p: f32, seed: u64) -> Self {
        Sampler {
            temperature,
            top_p,
            rng: SplitMix64::new(seed),
        }
    }

    /// Whether this sampler always picks the most likely token.
    pub fn is_greedy(&self) -> bool {
        // NaN counts as greedy too.
        self.temperature.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    }

    /// Picks a token among ids for which `allowed(id)` holds. Returns `None` when no allowed id
    /// has a finite logit.
    pub fn sample(&mut self, logits: &[f32], allowed: impl Fn(u32) -> bool) -> Option<u32> {
        if self.is_greedy() {
            return argmax(logits, allowed);
        }
        let inv_t = 1.0 / self.temperature as f64;
        let max = logits
            .iter()
            .enumerate()
            .filter(|(i, l)| l.is_finite() && allowed(*i as u32))
            .map(|(_, &l)| l as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return None;
        }
        let mut probs: Vec<(u32, f64)> = logits
            .iter()
            .enumerate()
            .filter(|(i, l)| l.is_finite() && allowed(*i as u32))
            .map(|(i, &l)| (i as u32, ((l as f64 - max) * inv_t).exp()))
            .collect();
        let total: f64 = probs.iter().map(|p| p.1).sum();
        if self.top_p > 0.0 && self.top_p < 1.0 {
            // Most likely first, ties by id, so the cut is deterministic.
            probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (n, p) in probs.iter().enumerate() {
                acc += p.1 / total;
                if acc >= self.top_p as f64 {
                    keep = n + 1;
                    break;
                }
            }
            probs.truncate(keep);
        }
        let mass: f64 = probs.iter().map(|p| p.1).sum();
        let mut r = self.rng.next_f64() * mass;
        for &(id, p) in &probs {
            if r < p {
                return Some(id);
            }
            r -= p;
        }
        probs.last().map(|p| p.0)
    }
}

/// The id of the largest finite logit among allowed ids; ties go to the lowest id.
pub fn argmax(logits: &[f32], allowed: impl Fn(u32) -> bool) -> Option<u32> {
    let mut best: Option<(u32, f32)> = None;
    for (i, &l) in logits.iter().enumerate() {
        if !l.is_finite() || !allowed(i as u32) {
            continue;
        }
        if best.is_none_or(|(_, b)| l > b) {
            best = Some((i as u32, l));
        }
    }
    best.map(|b| b.0)
}

/// `log softmax(logits)[id]` over the ids for which `allowed` holds (all ids: `|_| true`).
pub fn log_prob(logits: &[f32], id: u32, allowed: impl Fn(u32) -> bool) -> f32 {
    let Some(&x) = logits.get(id as usize) else {
        return f32::NEG_INFINITY;
    };
    let max = logits
        .iter()
        .enumerate()
        .filter(|(i, l)| l.is_finite() && allowed(*i as u32))
        .map(|(_, &l)| l)
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return f32::NEG_INFINITY;
    }
    let sum: f64 = logits
        .iter()
        .enumerate()
        .filter(|(i, l)| l.is_finite() && allowed(*i as u32))
        .map(|(_, &l)| ((l - max) as f64).exp())
        .sum();
    ((x - max) as f64 - sum.ln()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_breaks_ties_to_lowest_id_and_respects_allowed() {
        let logits = [1.0, 3.0, 3.0, f32::NAN, 2.0];
        let mut s = Sampler::new(0.0, 1.0, 7);
        assert_eq!(s.sample(&logits, |_| true), Some(1));
        assert_eq!(s.sample(&logits, |i| i != 1), Some(2));
        assert_eq!(s.sample(&logits, |i| i == 3), None);
    }

    #[test]
    fn seeded_sampling_is_reproducible_and_follows_the_distribution() {
        let logits = [0.0f32, (3.0f32).ln(), f32::NEG_INFINITY];
        let draw = |seed| {
            let mut s = Sampler::new(1.0, 1.0, seed);
            (0..4000)
                .map(|_| s.sample(&logits, |_| true).unwrap())
                .collect::<Vec<_>>()
        };
        let a = draw(42);
        assert_eq!(a, draw(42));
        assert_ne!(a, draw(43));
        assert!(!a.contains(&2));
        let ones = a.iter().filter(|&&t| t == 1).count() as f64 / a.len() as f64;
        assert!((ones - 0.75).abs() < 0.03, "{ones}");
    }

    #[test]
    fn top_p_cuts_the_tail() {
        let logits = [5.0f32, 0.0, 0.0, 0.0];
        let mut s = Sampler::new(1.0, 0.5, 1);
        assert!((0..200).all(|_| s.sample(&logits, |_| true) == Some(0)));
    }

    #[test]
    fn log_prob_over_all_and_allowed() {
        let logits = [0.0f32, 0.0, 0.0, 0.0];
        assert!((log_prob(&logits, 1, |_| true) - (0.25f32).ln()).abs() < 1e-6);
        assert!((log_prob(&logits, 1, |i| i < 2) - (0.5f32).ln()).abs() < 1e-6);
    }
}
