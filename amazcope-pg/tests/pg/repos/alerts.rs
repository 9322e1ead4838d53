use super::common::*;
use amazcope_core::model::alert::{AlertQuery, NewAlert};
use amazcope_core::{
    AlertRepository, AlertType, NotificationPriority, NotificationRepository, NotificationStatus,
    NotificationType, ProductId, Severity, SnapshotId, SnapshotRepository, StoreError, UserId,
};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

pub fn alert(
    user: UserId,
    product: ProductId,
    snap: Option<(SnapshotId, DateTime<Utc>)>,
    kind: AlertType,
    at: DateTime<Utc>,
) -> NewAlert {
    NewAlert {
        user_id: user,
        product_id: product,
        snapshot_id: snap.map(|s| s.0),
        snapshot_scraped_at: snap.map(|s| s.1),
        alert_type: kind,
        severity: Severity::Warning,
        title: format!("{kind} alert"),
        message: "price went from 10.00 to 12.00".into(),
        old_value: Some("10.00".into()),
        new_value: Some("12.00".into()),
        change_percentage: Some(20.0),
        created_at: at,
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn alerts_are_stored_once_with_one_notification_each(pool: PgPool) {
    let s = store(pool.clone());
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000060", None).await;
    let snap = s.insert_snapshot(&snapshot(&p, day(6, 1), 1)).await.unwrap();
    let key = Some((snap.id, day(6, 1)));
    let batch = vec![
        alert(u.id, p.id, key, AlertType::PriceChange, day(6, 1)),
        alert(u.id, p.id, key, AlertType::BsrChange, day(6, 1)),
    ];
    let written = s.create_alerts(&batch).await.unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(written[0].snapshot_id, Some(snap.id));
    assert_eq!(written[0].created_at, day(6, 1));
    assert_eq!((written[0].severity, written[0].change_percentage), (Severity::Warning, Some(20.0)));
    assert!(written[0].notified_at.is_some());

    // Re-running the rules on the same snapshot writes nothing.
    assert!(s.create_alerts(&batch).await.unwrap().is_empty());
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM alerts")
        .fetch_one(&mut *service(&pool).await)
        .await
        .unwrap();
    assert_eq!(alerts, 2);

    // A batch of one stored and one new alert writes the new one and its notification only.
    let mixed = vec![batch[0].clone(), alert(u.id, p.id, key, AlertType::RatingDrop, day(6, 1))];
    let again = s.create_alerts(&mixed).await.unwrap();
    assert_eq!(again.iter().map(|a| a.alert_type).collect::<Vec<_>>(), vec![AlertType::RatingDrop]);

    let notes = s.notifications(u.id, false, 10).await.unwrap();
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().all(|n| n.created_at == day(6, 1)), "dated at their alert's time");
    let rating_note = notes.iter().find(|n| n.notification_type == NotificationType::ReviewChange).unwrap();
    assert_eq!(rating_note.alert_id, Some(again[0].id));
    let price_note = notes.iter().find(|n| n.notification_type == NotificationType::PriceChange).unwrap();
    let price_alert = written.iter().find(|a| a.alert_type == AlertType::PriceChange).unwrap();
    assert_eq!(price_note.alert_id, Some(price_alert.id));
    assert_eq!(price_note.priority, NotificationPriority::High);
    assert_eq!(price_note.data["old_value"], "10.00");
    assert_eq!(price_note.status, NotificationStatus::Unread);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn alert_list_joins_product_filters_and_is_newest_first(pool: PgPool) {
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p1 = product(&s, "B000000061", None).await;
    let p2 = product(&s, "B000000062", None).await;
    s.create_alerts(&[
        alert(u.id, p1.id, None, AlertType::PriceChange, day(6, 1)),
        alert(u.id, p2.id, None, AlertType::OutOfStock, day(6, 3)),
        alert(u.id, p1.id, None, AlertType::BackInStock, day(6, 2)),
    ])
    .await
    .unwrap();
    let all = s.alerts(u.id, &AlertQuery::default()).await.unwrap();
    let kinds: Vec<AlertType> = all.iter().map(|a| a.alert.alert_type).collect();
    assert_eq!(kinds, vec![AlertType::OutOfStock, AlertType::BackInStock, AlertType::PriceChange]);
    assert_eq!((all[0].asin.as_str(), all[0].product_title.as_str()), ("B000000062", "B000000062"));

    let only_p1 =
        s.alerts(u.id, &AlertQuery { product_id: Some(p1.id), ..AlertQuery::default() }).await.unwrap();
    assert_eq!(only_p1.len(), 2);
    let since =
        s.alerts(u.id, &AlertQuery { since: Some(day(6, 2)), ..AlertQuery::default() }).await.unwrap();
    assert_eq!(since.len(), 2);
    let one = s.alerts(u.id, &AlertQuery { limit: Some(1), ..AlertQuery::default() }).await.unwrap();
    assert_eq!(one.len(), 1);

    let read = s.mark_alert_read(u.id, all[0].alert.id).await.unwrap();
    assert!(read.is_read);
    let unread = s.alerts(u.id, &AlertQuery { unread_only: true, ..AlertQuery::default() }).await.unwrap();
    assert_eq!(unread.len(), 2);
    // Its notification was read with it.
    assert_eq!(s.notifications(u.id, true, 10).await.unwrap().len(), 2);
    assert_eq!(s.mark_all_alerts_read(u.id).await.unwrap(), 2);
    assert_eq!(s.mark_all_alerts_read(u.id).await.unwrap(), 0);
    assert!(s.notifications(u.id, true, 10).await.unwrap().is_empty());
    assert!(matches!(
        s.mark_alert_read(u.id, amazcope_core::AlertId::new_random()).await,
        Err(StoreError::NotFound { entity: "alert", .. })
    ));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn notification_read_state_goes_through_status(pool: PgPool) {
    // Notifications are written only with their alerts (the one write of both tables).
    let s = store(pool);
    let u = user(&s, "ann").await;
    let p = product(&s, "B000000071", None).await;
    s.create_alerts(&[
        alert(u.id, p.id, None, AlertType::PriceChange, day(7, 1)),
        alert(u.id, p.id, None, AlertType::OutOfStock, day(7, 2)),
    ])
    .await
    .unwrap();
    let all = s.notifications(u.id, false, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    let (b, a) = (&all[0], &all[1]);
    assert_eq!((a.status, a.is_read, a.read_at), (NotificationStatus::Unread, false, None));
    assert_eq!(a.action_url, Some(format!("/products/{}", p.id)));

    let read = s.mark_notification_read(u.id, a.id).await.unwrap();
    assert_eq!((read.status, read.is_read), (NotificationStatus::Read, true));
    assert!(read.read_at.is_some());
    let unread: Vec<_> = s.notifications(u.id, true, 10).await.unwrap().into_iter().map(|n| n.id).collect();
    assert_eq!(unread, vec![b.id]);
    assert_eq!(s.mark_all_notifications_read(u.id).await.unwrap(), 1);
    assert_eq!(s.notifications(u.id, false, 10).await.unwrap().len(), 2);
    assert_eq!(s.notifications(u.id, false, 1).await.unwrap().len(), 1);
}
