use super::*;

fn every_kind() -> Vec<HubEvent> {
    let payload = || Bytes::from_static(br#"{"type":"x","text":"line\nbreak \u00e9"}"#);
    vec![
        HubEvent::Sequenced {
            conversation: ConversationId(7),
            seq: Seq(42),
            payload: payload(),
        },
        HubEvent::Frame { payload: payload() },
        HubEvent::MemberLeft {
            user: UserId(3),
            payload: payload(),
        },
        HubEvent::Subscribe {
            conversation: ConversationId(8),
            payload: payload(),
        },
        HubEvent::Unsubscribe {
            conversation: ConversationId(9),
            payload: payload(),
        },
        HubEvent::SessionsEnded {
            sessions: vec![SessionId("a".into()), SessionId("b".into())].into(),
            payload: payload(),
        },
    ]
}

#[test]
fn every_event_kind_crosses_the_bus_unchanged_with_its_node() {
    for event in every_kind() {
        let bytes = encode(u64::MAX, &event).expect("sent between nodes");
        let (node, back) = decode(bytes).expect("decodes");
        assert_eq!(node, u64::MAX);
        assert_eq!(format!("{back:?}"), format!("{event:?}"));
    }
}

#[test]
fn resync_never_leaves_its_node() {
    assert!(encode(1, &HubEvent::Resync).is_none());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for bytes in [
        &b""[..],
        b"no header line",
        b"{\"node\":1}\n{}",
        b"{\"node\":1,\"kind\":{\"k\":\"teleport\"}}\n{}",
        b"{\"node\":-1,\"kind\":{\"k\":\"frame\"}}\n{}",
        b"\xff\xfe\n",
    ] {
        assert!(decode(Bytes::copy_from_slice(bytes)).is_err(), "{bytes:?}");
    }
}

#[test]
fn subjects_name_their_topic_and_nothing_else_does() {
    for topic in [
        Topic::Conversation(ConversationId(5)),
        Topic::User(UserId(6)),
    ] {
        assert_eq!(topic_of("palaver", &subject("palaver", topic)), Some(topic));
        assert_eq!(topic_of("chat.eu", &subject("chat.eu", topic)), Some(topic));
    }
    for other in [
        "palaver",
        "palaver.c",
        "palaver.c.x",
        "palaver.x.5",
        "palaverx.c.5",
        "other.c.5",
        "palaver.c.5.6",
    ] {
        assert_eq!(topic_of("palaver", other), None, "{other}");
    }
}

#[test]
fn prefixes_are_plain_subjects() {
    for good in ["palaver", "chat.eu-1", "a_b.c"] {
        assert!(check_prefix(good).is_ok(), "{good}");
    }
    for bad in ["", "a..b", "a.>", "a.*", "a b", ".a", "a."] {
        let err = check_prefix(bad).expect_err(bad);
        assert!(err.contains("--nats-prefix"), "{err}");
    }
}
