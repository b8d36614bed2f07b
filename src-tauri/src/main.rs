fn main() {
    switchboard_desktop::choose_rendering();
    switchboard_desktop::run()
}
