"""The dashboard's insights, declared once.

Both dashboards are generated from this list: the QuickSight analysis and
dashboard (`stacks/quicksight_dashboard.py` turns it into a Definition over the
tracks dataset and the run history's) and the offline HTML twin (`view/dashboard_html.py` draws the
same insights from the named queries' results). Each insight names the query
in `sql/athena/` that computes its numbers; each field names both the dataset
column QuickSight aggregates and the query's result column holding the same
values, so the two dashboards cannot drift apart silently.
"""

from __future__ import annotations

from view.insight_model import (  # noqa: F401  (re-exported: the dashboards import the vocabulary from here)
    AGGREGATIONS,
    BAR,
    CHART_KINDS,
    GRID_COLUMNS,
    HISTOGRAM,
    KPI,
    LINE,
    PIE,
    SCATTER,
    SPANS,
    TABLE,
    AtLeast,
    CalculatedField,
    Field,
    FilterControl,
    Insight,
    Latest,
    Sheet,
)
from view.health_insights import HEALTH, HEALTH_FILTER_CONTROLS, HEALTH_INSIGHTS


def _kpi(insight_id: str, title: str, description: str, field: Field) -> Insight:
    return Insight(insight_id, title, description, KPI, "dashboard_kpis", measures=(field,), width="quarter", height=4)


ARTIST = Field("artist", "artist_name", "artist_name", "Artist")
TRACK_COUNT = Field("tracks", "track_id", "tracks", "Tracks", aggregation="COUNT")
AVG_TRACK_POPULARITY = Field(
    "avg_track_popularity", "track_popularity", "avg_track_popularity", "Average track popularity", "AVERAGE"
)

# QuickSight has no boolean dimension: the explicit flag becomes a label, as the named query spells it.
EXPLICIT_LABEL = CalculatedField(
    "explicit_label",
    "ifelse(isNull({explicit}), 'unknown', toString({explicit}) = 'true' OR toString({explicit}) = '1', "
    "'explicit', 'clean')",
    "STRING",
)
# The explicit share per year is the average of 100 (explicit) and 0 (clean); unflagged tracks are left out.
EXPLICIT_PERCENT = CalculatedField(
    "explicit_percent",
    "ifelse(isNull({explicit}), NULL, toString({explicit}) = 'true' OR toString({explicit}) = '1', 100, 0)",
    "INTEGER",
)
CALCULATED_FIELDS = (EXPLICIT_LABEL, EXPLICIT_PERCENT)

FIRST_GENRE = (
    "QuickSight has no array type, so its visual counts each track under the artist's first genre "
    "(`genre`); the query counts it under every genre of the artist (UNNEST(genres)). They agree when "
    "artists have at most one genre, as in the workshop layout."
)
SAME_NAME = (
    "QuickSight groups by artist name; the query by artist id and name, so two artists sharing a name "
    "are one bar in QuickSight and two rows in the query."
)

TRACKS_INSIGHTS: tuple[Insight, ...] = (
    _kpi("kpi_tracks", "Tracks", "Tracks in the warehouse.", Field("tracks", "track_id", "tracks", "Tracks", "COUNT")),
    _kpi("kpi_artists", "Artists", "Distinct artists credited on a track.",
         Field("artists", "artist_id", "artists", "Artists", "DISTINCT_COUNT")),
    _kpi("kpi_albums", "Albums", "Distinct albums.", Field("albums", "album_id", "albums", "Albums", "DISTINCT_COUNT")),
    _kpi("kpi_avg_track_popularity", "Average track popularity", "Mean popularity (0-100) of the rated tracks.",
         AVG_TRACK_POPULARITY),
    Insight(
        "top_artists_by_track_popularity",
        "Top artists by track popularity",
        "The 20 artists whose tracks are the most popular on average (at least 3 rated tracks).",
        BAR,
        "top_artists_by_track_popularity",
        dimensions=(ARTIST,),
        measures=(AVG_TRACK_POPULARITY,),
        sort_field="avg_track_popularity",
        limit=20,
        non_null=("artist_name",),
        at_least=AtLeast("track_popularity", "COUNT", 3),
        differs=SAME_NAME,
    ),
    Insight(
        "top_artists_by_followers",
        "Top artists by followers",
        "The 20 most followed artists.",
        BAR,
        "top_artists_by_followers",
        dimensions=(ARTIST,),
        measures=(Field("followers", "followers", "followers", "Followers", "MAX"),),
        sort_field="followers",
        limit=20,
        non_null=("followers",),
        differs=SAME_NAME,
    ),
    Insight(
        "artist_followers_vs_popularity",
        "Artist followers vs popularity",
        "One point per artist: followers (log scale) against artist popularity, the 50 most followed artists.",
        SCATTER,
        "artist_followers_vs_popularity",
        dimensions=(ARTIST,),
        measures=(
            Field("followers", "followers", "followers", "Followers", "MAX"),
            Field("artist_popularity", "artist_popularity", "artist_popularity", "Artist popularity", "MAX"),
        ),
        sort_field="followers",
        limit=50,
        non_null=("followers", "artist_popularity"),
        log_scale=True,
        differs=SAME_NAME,
    ),
    Insight(
        "explicit_share",
        "Explicit vs clean",
        "Share of tracks flagged explicit, clean, or without a flag.",
        PIE,
        "explicit_share",
        dimensions=(Field("content", EXPLICIT_LABEL.name, "content", "Content"),),
        measures=(TRACK_COUNT,),
        sort_field="tracks",
    ),
    Insight(
        "release_trends_by_year",
        "Track release trend per year",
        "Tracks released and their average popularity per release year.",
        LINE,
        "release_trends_by_year",
        dimensions=(Field("release_year", "release_date", "release_year", "Release year", date_granularity="YEAR"),),
        measures=(TRACK_COUNT, AVG_TRACK_POPULARITY),
        sort_field="release_year",
        sort_descending=False,
        non_null=("release_date",),
        width="full",
        differs="QuickSight groups release_date by year, which is the query's release_year partition key.",
    ),
    Insight(
        "explicit_share_by_release_year",
        "Explicit share by release year",
        "Tracks with a known explicit flag and the percentage of them marked explicit, per release year.",
        LINE,
        "explicit_share_by_release_year",
        dimensions=(Field("release_year", "release_date", "release_year", "Release year", date_granularity="YEAR"),),
        measures=(
            Field("tracks", "track_id", "tracks", "Tracks with a flag", "COUNT"),
            Field("explicit_percent", EXPLICIT_PERCENT.name, "explicit_percent", "Explicit %", "AVERAGE"),
        ),
        sort_field="release_year",
        sort_descending=False,
        non_null=("release_date", EXPLICIT_PERCENT.name),
        width="full",
        differs="QuickSight groups release_date by year, which is the query's release_year partition key.",
    ),
    Insight(
        "collaborations",
        "Collaborations per release year",
        "Tracks credited to more than one artist: their share of each year's tracks and their average popularity.",
        LINE,
        "collaborations",
        dimensions=(Field("release_year", "release_date", "release_year", "Release year", date_granularity="YEAR"),),
        measures=(
            Field("collaboration_percent", "artist_names", "collaboration_percent", "Collaborations %"),
            Field("avg_collaboration_popularity", "track_popularity", "avg_collaboration_popularity",
                  "Average popularity of collaborations", "AVERAGE"),
        ),
        sort_field="release_year",
        sort_descending=False,
        width="full",
        in_quicksight=False,
        differs=(
            "Offline only: a collaboration is a track with more than one entry in artist_names, an array, "
            "which QuickSight cannot read."
        ),
    ),
    Insight(
        "genre_analysis",
        "Genre analysis",
        "Tracks and their average popularity per genre, the 20 genres with the most tracks.",
        BAR,
        "genre_analysis",
        dimensions=(Field("genre", "genre", "genre", "Genre"),),
        measures=(TRACK_COUNT, AVG_TRACK_POPULARITY),
        sort_field="tracks",
        limit=20,
        non_null=("genre",),
        differs=FIRST_GENRE,
    ),
    Insight(
        "audio_profile_by_genre",
        "Audio profile by genre",
        "Average danceability and energy (0-1) of the tracks with audio features, the 20 most danceable genres.",
        BAR,
        "audio_profile_by_genre",
        dimensions=(Field("genre", "genre", "genre", "Genre"),),
        # Averages skip nulls, so they equal the query's over the tracks with any audio feature.
        measures=(
            Field("avg_danceability", "danceability", "avg_danceability", "Average danceability", "AVERAGE"),
            Field("avg_energy", "energy", "avg_energy", "Average energy", "AVERAGE"),
        ),
        sort_field="avg_danceability",
        limit=20,
        non_null=("genre",),
        differs=FIRST_GENRE,
    ),
    Insight(
        "albums_with_most_tracks",
        "Albums with the most tracks",
        "The 20 largest albums.",
        BAR,
        "albums_with_most_tracks",
        dimensions=(Field("album", "album_name", "album_name", "Album"),),
        measures=(TRACK_COUNT,),
        sort_field="tracks",
        limit=20,
        differs="QuickSight groups by album name; the query by album id, so same-named albums merge in QuickSight.",
    ),
    Insight(
        "top_labels_by_track_count",
        "Top labels by track count",
        "The 20 record labels with the most tracks.",
        BAR,
        "top_labels_by_track_count",
        dimensions=(Field("label", "label", "label", "Label"),),
        measures=(TRACK_COUNT,),
        sort_field="tracks",
        limit=20,
        non_null=("label",),
    ),
    Insight(
        "track_popularity_distribution",
        "Distribution of track popularity",
        "How many tracks fall in each popularity band of 10.",
        HISTOGRAM,
        "track_popularity_distribution",
        dimensions=(Field("popularity", "track_popularity", "popularity_from", "Track popularity"),),
        measures=(Field("tracks", "track_id", "tracks", "Tracks", "COUNT"),),
        bin_width=10,
        non_null=("track_popularity",),
        differs="QuickSight bins the raw popularity itself (width 10 from 0); the query counts the same bands.",
    ),
    Insight(
        "most_popular_songs",
        "Most popular songs",
        "The 20 tracks with the highest popularity.",
        TABLE,
        "most_popular_songs",
        dimensions=(
            Field("track", "track_name", "track_name", "Track"),
            ARTIST,
            Field("album", "album_name", "album_name", "Album"),
            Field("release_date", "release_date", "release_date", "Released"),
        ),
        measures=(Field("track_popularity", "track_popularity", "track_popularity", "Popularity"),),
        sort_field="track_popularity",
        limit=20,
        non_null=("track_popularity",),
        width="full",
        differs=(
            "QuickSight's table pages through every rated track, 20 a page; its first page is the query's result "
            "(tracks of equal popularity may come in another order: the query orders them by name)."
        ),
    ),
)

OVERVIEW = Sheet("overview", "Spotify tracks", "Spotify 2023: tracks, artists, albums",
                 "What the warehouse's tracks table holds.")
INSIGHTS = TRACKS_INSIGHTS + HEALTH_INSIGHTS
SHEETS = (OVERVIEW, HEALTH)

# Sheet-wide filter controls (QuickSight only: the offline page shows fixed query results).
FILTER_CONTROLS = (
    FilterControl("release_date_range", "Release date", "release_date", "tracks", OVERVIEW.sheet_id),
    FilterControl("genre", "Genre", "genre", "tracks", OVERVIEW.sheet_id),
    FilterControl("explicit", "Explicit", EXPLICIT_LABEL.name, "tracks", OVERVIEW.sheet_id),
    *HEALTH_FILTER_CONTROLS,
)


QUICKSIGHT_INSIGHTS = tuple(i for i in INSIGHTS if i.in_quicksight)


def insight(insight_id: str) -> Insight:
    return next(i for i in INSIGHTS if i.insight_id == insight_id)
