use super::common::*;
use amazcope_core::model::user::{NewUser, SettingsPatch, UserSettings};
use amazcope_core::{StoreError, UserRepository};
use sqlx::PgPool;

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn created_user_reads_back_by_id_name_and_email(pool: PgPool) {
    let s = store(pool);
    let new = NewUser {
        email: "Ann@Example.org".into(),
        username: "ann".into(),
        full_name: Some("Ann Example".into()),
        password_hash: Some("$argon2id$hash".into()),
    };
    let u = s.create_user(&new).await.unwrap();
    assert_eq!((u.username.as_str(), u.email.as_str()), ("ann", "Ann@Example.org"));
    assert_eq!(u.full_name.as_deref(), Some("Ann Example"));
    assert!(u.is_active && !u.is_superuser && !u.is_verified);
    assert_eq!(s.user(u.id).await.unwrap(), u);
    assert_eq!(s.user_by_name("ann").await.unwrap().map(|x| x.id), Some(u.id));
    assert_eq!(s.user_by_name("ann@example.org").await.unwrap().map(|x| x.id), Some(u.id));
    assert_eq!(s.user_by_name("nobody").await.unwrap(), None);
    let names: Vec<String> = s.list_users().await.unwrap().into_iter().map(|u| u.username).collect();
    assert_eq!(names, vec!["ann"]);
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn duplicate_email_and_username_are_conflicts_naming_them(pool: PgPool) {
    let s = store(pool);
    user(&s, "bob").await;
    let err = s.create_user(&NewUser::named("bob").unwrap()).await.unwrap_err();
    // bob@localhost collides first or bob does: either names the value.
    match err {
        StoreError::Conflict { constraint, detail } => {
            assert!(constraint == "uq_users_email" || constraint == "uq_users_username", "{constraint}");
            assert!(detail.contains("bob"), "{detail}");
        }
        other => panic!("expected conflict, got {other:?}"),
    }
    let mut other = NewUser::named("bobby").unwrap();
    other.email = "bob@localhost".into();
    match s.create_user(&other).await.unwrap_err() {
        StoreError::Conflict { constraint, detail } => {
            assert_eq!(constraint, "uq_users_email");
            assert!(detail.contains("bob@localhost"), "{detail}");
        }
        e => panic!("expected conflict, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn unknown_user_is_not_found(pool: PgPool) {
    let s = store(pool);
    let id = amazcope_core::UserId::new_random();
    assert!(matches!(s.user(id).await, Err(StoreError::NotFound { entity: "user", .. })));
    assert!(matches!(s.settings(id).await, Err(StoreError::NotFound { entity: "user", .. })));
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn settings_are_created_once_with_defaults_and_patched(pool: PgPool) {
    let s = store(pool.clone());
    let u = user(&s, "carol").await;
    let first = s.settings(u.id).await.unwrap();
    assert_eq!((first.default_price_threshold, first.default_bsr_threshold), (10.0, 30.0));
    assert_eq!((first.theme.as_str(), first.products_per_page), ("light", 20));
    assert_eq!(s.settings(u.id).await.unwrap().id, first.id);

    let patch = SettingsPatch {
        default_price_threshold: Some(5.0),
        theme: Some("dark".into()),
        products_per_page: Some(50),
        ..SettingsPatch::default()
    };
    let after = s.update_settings(u.id, &patch).await.unwrap();
    assert_eq!(
        (after.default_price_threshold, after.theme.as_str(), after.products_per_page),
        (5.0, "dark", 50)
    );
    assert_eq!(after.default_bsr_threshold, 30.0, "untouched field keeps its value");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM user_settings")
        .fetch_one(&mut *service(&pool).await)
        .await
        .unwrap();
    assert_eq!(rows, 1);

    let bad = SettingsPatch { default_bsr_threshold: Some(101.0), ..SettingsPatch::default() };
    match s.update_settings(u.id, &bad).await.unwrap_err() {
        StoreError::Invalid(e) => assert_eq!((e.field, e.value.as_str()), ("default_bsr_threshold", "101")),
        e => panic!("expected invalid, got {e:?}"),
    }
}

#[sqlx::test(migrator = "amazcope_pg::MIGRATOR")]
async fn reset_puts_back_the_schema_defaults_for_that_user_only(pool: PgPool) {
    let s = store(pool);
    let (a, b) = (user(&s, "ann").await, user(&s, "bob").await);
    let defaults = s.settings(a.id).await.unwrap();
    let patch = SettingsPatch {
        default_price_threshold: Some(5.0),
        daily_summary_emails: Some(true),
        theme: Some("dark".into()),
        refresh_interval_minutes: Some(30),
        ..SettingsPatch::default()
    };
    s.update_settings(a.id, &patch).await.unwrap();
    s.update_settings(b.id, &patch).await.unwrap();

    let reset = s.reset_settings(a.id).await.unwrap();
    assert_eq!((reset.id, reset.user_id, reset.created_at), (defaults.id, a.id, defaults.created_at));
    assert_eq!(
        UserSettings { updated_at: defaults.updated_at, ..reset.clone() },
        defaults,
        "every setting back to its default"
    );
    assert_eq!(s.settings(a.id).await.unwrap(), reset);
    let other = s.settings(b.id).await.unwrap();
    assert_eq!((other.default_price_threshold, other.theme.as_str()), (5.0, "dark"), "bob keeps his");

    // A user without a settings row gets one with the defaults; an unknown user is NotFound.
    let c = user(&s, "carol").await;
    assert_eq!(s.reset_settings(c.id).await.unwrap().default_bsr_threshold, 30.0);
    assert!(matches!(
        s.reset_settings(amazcope_core::UserId::new_random()).await,
        Err(StoreError::NotFound { entity: "user", .. })
    ));
}
