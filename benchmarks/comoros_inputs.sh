# Sourced by the Comoros benchmark scripts: the scenario "inputs:" block of the Comoros data in
# folder $1 (OpenStreetMap roads, WorldPop 2020, WHO facilities with their tiers), so that every
# benchmark reads the same files the same way.
comoros_inputs() {
    cat <<EOT
inputs:
  roads: $1/comores-2021-04-08.osm.pbf
  population: $1/com_ppp_2020_UNadj.tif
  facilities: $1/who_public_health_facilities_comoros.csv
  tier_field: tier
  tiers: {1: health_post, 2: health_centre, 3: hospital, 4: hospital}
EOT
}
