import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def copy_session_locations(apps, schema_editor):
    """The location stated so far was the primary client's: it becomes theirs."""
    VideoSession = apps.get_model("video", "VideoSession")
    PersonLocation = apps.get_model("video", "PersonLocation")
    rows = VideoSession.objects.exclude(client_location="").select_related("appointment")
    PersonLocation.objects.bulk_create(
        [
            PersonLocation(
                session_id=s.pk, client_id=s.appointment.client_id, code=s.client_location
            )
            for s in rows
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_group_and_guardians"),
        ("video", "0003_session_close_hold_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="PersonLocation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=2)),
                ("stated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("client", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="session_locations", to="clients.client")),
                ("session", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="locations", to="video.videosession")),
            ],
            options={
                "ordering": ["stated_at", "id"],
                "constraints": [models.UniqueConstraint(fields=("session", "client"), name="video_one_location_each")],
            },
        ),
        migrations.RunPython(copy_session_locations, migrations.RunPython.noop),
    ]
