//! The generator's own pseudo-random number generator: xoshiro256** seeded through splitmix64.
//!
//! Written out here (a dozen lines, public-domain reference algorithms by Blackman and Vigna) so
//! that a capture generated from a seed never changes because a dependency changed its stream.

/// One step of splitmix64: a good 64-bit mixer, used to seed [`Rng`] and to fill payload bytes
/// from a counter (so that any byte range of a payload can be regenerated without state).
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256**: fast, small state, good statistical quality; not cryptographic (it does not
/// need to be).
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut s = [0u64; 4];
        for word in &mut s {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *word = splitmix64(x);
        }
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// The next 16 random bits.
    pub fn next_u16(&mut self) -> u16 {
        (self.next_u64() >> 48) as u16
    }

    /// Uniform in `0..n` (`0` when `n == 0`), by Lemire's multiply-shift (bias below 2^-32 for
    /// the small ranges used here).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).saturating_add(1))
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An exponentially distributed value with the given mean (inter-arrival times).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * ln(1.0 - self.unit())
    }

    /// A log-uniform integer in `lo..=hi`: as many small values as large ones per decade, the
    /// shape of file and message sizes.
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = (ln(lo.max(1) as f64), ln(hi.max(lo).max(1) as f64));
        let v = exp(l + (h - l) * self.unit()).round() as u64;
        v.clamp(lo, hi.max(lo))
    }

    /// An index into `weights` chosen with probability proportional to its weight (`0` when all
    /// weights are zero).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut pick = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if pick < u64::from(w) {
                return i;
            }
            pick -= u64::from(w);
        }
        0
    }

    /// One element of a non-empty slice (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

const LN_2: f64 = std::f64::consts::LN_2;

/// Natural logarithm of a positive finite `x` from additions, multiplications and divisions
/// only (IEEE 754 makes those bit-identical everywhere, unlike the platform's `log`), so that
/// sizes and times drawn from a seed never differ between machines. Accurate to ~1e-15.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    // x = m * 2^e with m in [1, 2): scale subnormals up first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * (1u64 << 54) as f64, -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7FF) as i64 - 1023 + bias;
    let m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    // ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) in [0, 1/3).
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= z2;
        k += 2.0;
    }
    e as f64 * LN_2 + 2.0 * sum
}

/// `e^x` from additions, multiplications and divisions only (see [`ln`]). Accurate to ~1e-15
/// for the arguments used here (|x| < 700).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let x = x.clamp(-700.0, 700.0);
    // x = k ln 2 + r with r in [0, ln 2): e^x = 2^k e^r.
    let k = (x / LN_2).floor();
    let r = x - k * LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut n = 1.0;
    while n < 30.0 {
        term *= r / n;
        sum += term;
        n += 1.0;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_vector() {
        // Reference: splitmix64 with state 0 yields 0xE220A8397B1DCDAF first (Vigna's C code).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn xoshiro_matches_reference_vector() {
        // Reference output of xoshiro256** with state {1, 2, 3, 4}: 11520, 0, 1509978240.
        let mut r = Rng { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 11520);
        assert_eq!(r.next_u64(), 0);
        assert_eq!(r.next_u64(), 1_509_978_240);
    }

    #[test]
    fn portable_ln_and_exp_match_the_platform_closely() {
        for &x in &[
            1e-300,
            1e-10,
            0.001,
            0.5,
            1.0,
            1.5,
            2.0,
            std::f64::consts::E,
            10.0,
            12345.678,
            4e6,
            1e300,
        ] {
            let (got, want) = (ln(x), x.ln());
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "ln({x}) = {got}, want {want}"
            );
        }
        for &x in &[-600.0, -5.0, -0.1, 0.0, 0.3, 1.0, 5.5, 15.2, 600.0] {
            let (got, want) = (exp(x), f64::exp(x));
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "exp({x}) = {got}, want {want}"
            );
        }
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..10_000 {
            assert!(r.below(10) < 10);
            let v = r.range(5, 9);
            assert!((5..=9).contains(&v));
            let l = r.log_uniform(100, 100_000);
            assert!((100..=100_000).contains(&l));
        }
        assert_eq!(r.weighted(&[0, 0, 5]), 2);
    }
}
