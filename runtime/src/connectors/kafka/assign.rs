//! Which source subtask reads which partition: Flink's `KafkaSourceEnumerator.getSplitOwner`,
//! so that a job reads the same partitions in the same subtasks as Flink would.

/// Java's `String.hashCode`: over UTF-16 code units, wrapping.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// The subtask (from 0) that reads `partition` of `topic` among `parallelism` subtasks:
/// partitions of a topic go round-robin from a start that depends on the topic's name.
pub(crate) fn owner(topic: &str, partition: i32, parallelism: usize) -> usize {
    let n = parallelism as i64;
    let start = (java_hash(topic).wrapping_mul(31) & 0x7FFF_FFFF) as i64 % n;
    ((start + partition as i64) % n) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash_code() {
        // Values of "...".hashCode() printed by Java 17.
        assert_eq!(java_hash(""), 0);
        assert_eq!(java_hash("a"), 97);
        assert_eq!(java_hash("metrics"), 955_826_371);
        assert_eq!(java_hash("a-much-longer-topic-name"), 260_706_745);
        assert_eq!(java_hash("tópico"), -746_129_500);
    }

    #[test]
    fn the_first_partition_goes_where_flink_puts_it() {
        // ((topic.hashCode() * 31) & 0x7FFFFFFF) % 4, printed by Java 17.
        assert_eq!(owner("metrics", 0, 4), 1);
        assert_eq!(owner("a-much-longer-topic-name", 0, 4), 3);
        assert_eq!(owner("tópico", 0, 4), 0);
    }

    #[test]
    fn partitions_go_round_robin_from_a_start_given_by_the_topic() {
        let start = owner("metrics", 0, 4);
        let owners: Vec<usize> = (0..8).map(|p| owner("metrics", p, 4)).collect();
        assert_eq!(owners, (0..8).map(|p| (start + p) % 4).collect::<Vec<_>>());
        // Every subtask gets the same number of partitions when they divide evenly.
        for s in 0..4 {
            assert_eq!(owners.iter().filter(|o| **o == s).count(), 2);
        }
    }
}
