
# `git autofix <TAB>`: git's own completion loads this file (by the name git-autofix) and calls
# _git_autofix. Present the command line as if `git-autofix` had been typed, and complete that.
_git_autofix() {
    local -i command_index=${__git_cmd_idx:-1}
    if [[ "${COMP_WORDS[command_index]}" != autofix ]]; then
        for ((command_index = 1; command_index < ${#COMP_WORDS[@]}; command_index++)); do
            [[ "${COMP_WORDS[command_index]}" == autofix ]] && break
        done
    fi
    local rest="${COMP_LINE}" word
    for word in "${COMP_WORDS[@]:0:command_index+1}"; do
        rest="${rest#*"${word}"}"
    done
    local -i consumed=$((${#COMP_LINE} - ${#rest}))
    local -a COMP_WORDS=(git-autofix "${COMP_WORDS[@]:command_index+1}")
    local -i COMP_CWORD=$((COMP_CWORD - command_index))
    local -i COMP_POINT=$((COMP_POINT - consumed + ${#COMP_WORDS[0]}))
    local COMP_LINE="git-autofix${rest}"
    _git-autofix git-autofix "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}
