use super::common::*;
use amazcope_core::model::alert::NewAlert;
use amazcope_core::model::notification::Notification;
use amazcope_core::{AlertRepository, AlertType, NotificationId, NotificationRepository, StoreError, UserId};
use chrono::{Duration, Utc};
use sqlx::PgPool;

/// A notification for `user` titled `title`: notifications are written with their alert
/// (the one write of both tables), dated now.
async fn note(s: &amazcope_pg::PgStore, user: UserId, title: &str) -> Notification {
    let p = product(s, "B0000000N1", None).await;
    let alert = NewAlert {
        title: title.into(),
        ..super::alerts::alert(user, p.id, None, AlertType::PriceChange, Utc::now())
    };
    let written = s.create_alerts(&[alert]).await.unwrap();
    let all = s.notifications(user, false, 100).await.unwrap();
    all.into_iter().find(|n| n.alert_id == Some(written[0].id)).unwrap()
}

async fn titles(s: &amazcope_pg::PgStore, user: UserId) -> Vec<String> {
    let mut t: Vec<String> =
        s.notifications(user, false, 100).await.unwrap().into_iter().map(|n| n.title).collect();
    t.sort();
    t
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn delete_one_removes_only_the_owners_row(pool: PgPool) {
    let s = store(pool);
    let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
    let a1 = note(&s, a.id, "a1").await;
    note(&s, a.id, "a2").await;
    let b1 = note(&s, b.id, "b1").await;

    // Bob cannot delete Ann's notification: it is NotFound for him, and it stays.
    assert!(matches!(
        s.delete_notification(b.id, a1.id).await,
        Err(StoreError::NotFound { entity: "notification", .. })
    ));
    assert_eq!(titles(&s, a.id).await, ["a1", "a2"]);

    s.delete_notification(a.id, a1.id).await.unwrap();
    assert_eq!(titles(&s, a.id).await, ["a2"]);
    assert!(matches!(
        s.delete_notification(a.id, a1.id).await,
        Err(StoreError::NotFound { entity: "notification", .. })
    ));
    assert!(matches!(
        s.delete_notification(a.id, NotificationId::new_random()).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(titles(&s, b.id).await, ["b1"]);
    assert_eq!(s.notifications(b.id, false, 10).await.unwrap()[0].id, b1.id);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn delete_all_and_purge_count_and_keep_other_users_rows(pool: PgPool) {
    let s = store(pool.clone());
    let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
    let old = note(&s, a.id, "old").await;
    note(&s, a.id, "new").await;
    let b_old = note(&s, b.id, "b-old").await;
    // Age two rows by ten days (the repository stamps created_at itself).
    let mut tx = service(&pool).await;
    sqlx::query("UPDATE notifications SET created_at = created_at - interval '10 days' WHERE id = ANY($1)")
        .bind(vec![old.id.0, b_old.id.0])
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let week_ago = Utc::now() - Duration::days(7);
    assert_eq!(s.purge_notifications(a.id, week_ago).await.unwrap(), 1);
    assert_eq!(titles(&s, a.id).await, ["new"]);
    assert_eq!(titles(&s, b.id).await, ["b-old"], "bob's old row is not ann's to purge");
    assert_eq!(s.purge_notifications(a.id, week_ago).await.unwrap(), 0);

    note(&s, a.id, "newer").await;
    assert_eq!(s.delete_all_notifications(a.id).await.unwrap(), 2);
    assert!(titles(&s, a.id).await.is_empty());
    assert_eq!(titles(&s, b.id).await, ["b-old"]);
    assert_eq!(s.delete_all_notifications(a.id).await.unwrap(), 0);
}
