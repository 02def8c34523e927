//! Feature-flag rollout: a user is in when the flag is on and their bucket — a stable hash of
//! the flag key and the user id, 0..100 — is below the rollout percentage. The bucket never
//! changes, so raising the percentage only ever adds users, and each flag splits users
//! independently of the others. FNV-1a is used because it is tiny, fixed forever and needs
//! no dependency; it is not a security boundary.

use uuid::Uuid;

/// The user's bucket for this flag, in `0..100`.
pub fn bucket(flag_key: &str, user_id: Uuid) -> u8 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for byte in flag_key
        .as_bytes()
        .iter()
        .chain(b":")
        .chain(user_id.as_bytes())
    {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    // Fold the high bits in: FNV's low bits alone are weakly mixed for short inputs.
    ((hash ^ (hash >> 32)) % 100) as u8
}

/// Whether the flag is on for this user.
pub fn is_enabled(flag_key: &str, enabled: bool, rollout_percentage: i32, user_id: Uuid) -> bool {
    enabled && i32::from(bucket(flag_key, user_id)) < rollout_percentage.clamp(0, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(n: u128) -> impl Iterator<Item = Uuid> {
        (0..n).map(|i| Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 + i * 7919))
    }

    #[test]
    fn a_quarter_rollout_reaches_about_a_quarter_of_ten_thousand_users() {
        let inside = users(10_000)
            .filter(|u| is_enabled("new-editor", true, 25, *u))
            .count();
        assert!((2_000..=3_000).contains(&inside), "{inside} of 10,000");
    }

    #[test]
    fn raising_the_percentage_only_adds_users() {
        for user in users(10_000) {
            if is_enabled("new-editor", true, 25, user) {
                assert!(is_enabled("new-editor", true, 50, user));
            }
        }
    }

    #[test]
    fn off_none_and_everyone() {
        let someone = Uuid::from_u128(42);
        assert!(!is_enabled("x", false, 100, someone));
        assert!(!is_enabled("x", true, 0, someone));
        assert!(users(1_000).all(|u| is_enabled("x", true, 100, u)));
    }

    #[test]
    fn buckets_are_stable_and_flags_split_independently() {
        let user = Uuid::from_u128(0x1234);
        // Pinned: a change of hash would silently reshuffle every rollout in production.
        // The values were computed independently (FNV-1a 64 in Python) from the definition.
        assert_eq!(bucket("new-editor", user), 6);
        let pinned: Vec<u8> = ["a", "b", "c"].iter().map(|k| bucket(k, user)).collect();
        assert_eq!(pinned, vec![93, 32, 1]);
        let same = users(1_000)
            .filter(|u| (bucket("flag-one", *u) < 50) == (bucket("flag-two", *u) < 50))
            .count();
        assert!(
            (400..=600).contains(&same),
            "{same}: flags should not move together"
        );
    }
}
